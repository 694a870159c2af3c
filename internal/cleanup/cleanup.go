// Package cleanup deletes what has expired — self-service flows, sessions, login-failure
// counters, stored self-service errors, delivered courier messages and old audit events — and
// finishes identity deletions that were interrupted after their first step, in small, paced batches, so tables stay bounded
// without long locks and without stalling SQLite's single writer (anyone can make the server
// store a flow or an error). The server's background loop and the `portico cleanup` command
// both run it.
package cleanup

import (
	"context"
	"fmt"
	"time"
)

// Store is the part of the store cleanup needs (satisfied by store.Store).
type Store interface {
	PurgeDeletedIdentities(ctx context.Context, t time.Time, limit int) (int, error)
	DeleteFlowsExpiredBefore(ctx context.Context, t time.Time, limit int) (int, error)
	DeleteSessionsExpiredBefore(ctx context.Context, t time.Time, limit int) (int, error)
	DeleteFailuresBefore(ctx context.Context, t time.Time, limit int) (int, error)
	DeleteErrorsBefore(ctx context.Context, t time.Time, limit int) (int, error)
	DeleteMessagesBefore(ctx context.Context, t time.Time, limit int) (int, error)
	DeleteEventsBefore(ctx context.Context, t time.Time, limit int) (int, error)
}

// Retention is how long rows are kept after they expire.
type Retention struct {
	// Flows: an expired flow kept a while still answers 410 with a fresh flow instead of 404.
	Flows time.Duration
	// Sessions: expired and revoked sessions stay listable by the admin API for a while.
	Sessions time.Duration
	// LoginFailures: counted from the start of their window (15 minutes).
	LoginFailures time.Duration
	// Errors: counted from their creation; the error UI reads one right after the redirect.
	Errors time.Duration
	// Messages: the courier's sent and abandoned messages, counted from their creation
	// (queued ones are never deleted); the admin API lists them until then.
	Messages time.Duration
	// Events: the audit trail, counted from each event (audit.retention).
	Events time.Duration
}

// Default is what the server keeps. Flows get an hour, not a day: at 2,000 flows a second a
// day of flows is 170 million rows (bench/results/churn-2026-11-28.md).
var Default = Retention{Flows: time.Hour, Sessions: 24 * time.Hour, LoginFailures: 24 * time.Hour, Errors: time.Hour, Messages: 7 * 24 * time.Hour,
	Events: 90 * 24 * time.Hour}

// Counts are the rows deleted per table, and the free pages handed back to the file system.
// DeletedIdentities counts the rows (sessions and identity rows) of deleted identities that
// an interrupted deletion had left.
type Counts struct {
	DeletedIdentities                                        int
	Flows, Sessions, LoginFailures, Errors, Messages, Events int
	ReclaimedPages                                           int
}

// Progress is told after every batch: the table, the rows deleted from it so far, and whether
// the table is done.
type Progress func(table string, deleted int, done bool)

// SingleWriter is implemented by a store whose database has one writer at a time (SQLite):
// between two batches cleanup waits RestFactor times as long as the last batch took, so that
// other writers get at least three quarters of the write lock while it runs.
type SingleWriter interface {
	SingleWriter() bool
}

// Reclaimer is implemented by a store that can hand free pages back to the file system a few
// at a time (SQLite with incremental auto-vacuum); cleanup calls it after deleting.
type Reclaimer interface {
	ReclaimSpace(ctx context.Context, maxPages int) (int, error)
}

// BatchTarget is how long one delete should hold its locks: a batch that took longer is
// halved for the next statement, one that took less than half of it is doubled, up to the
// batch size Run was given. A cascading delete of a session touches six B-trees, so the same
// number of rows costs ten times more on a large, cold database than on a small one.
const BatchTarget = 25 * time.Millisecond

// minBatch is the smallest batch the pacing goes down to.
const minBatch = 10

// reclaimPages is how many free pages one ReclaimSpace call hands back (1 MiB of 4 KiB pages:
// each moves pages and so writes about as much to the WAL).
const reclaimPages = 256

// Run deletes, table by table and batch by batch, the rows that expired longer ago than r
// allows at now, then hands the freed space back when the store can (Reclaimer). batch is
// the largest batch; the batches adapt to BatchTarget and alternate with rests RestFactor
// times as long as themselves on a single-writer database, SharedRestFactor times elsewhere.
// progress may be nil. It stops at the first error or when ctx ends.
func Run(ctx context.Context, st Store, now time.Time, r Retention, batch int, progress Progress) (Counts, error) {
	var c Counts
	factor := time.Duration(SharedRestFactor)
	if sw, ok := st.(SingleWriter); ok && sw.SingleWriter() {
		factor = RestFactor
	}
	tables := []struct {
		name   string
		del    func(context.Context, time.Time, int) (int, error)
		before time.Time
		count  *int
	}{
		// Deleted identities have no retention: their rows are already gone for every
		// reader, and what is left of them is finished as soon as the cleanup sees it.
		{"deleted identities", st.PurgeDeletedIdentities, now, &c.DeletedIdentities},
		{"flows", st.DeleteFlowsExpiredBefore, now.Add(-r.Flows), &c.Flows},
		{"sessions", st.DeleteSessionsExpiredBefore, now.Add(-r.Sessions), &c.Sessions},
		{"login failures", st.DeleteFailuresBefore, now.Add(-r.LoginFailures), &c.LoginFailures},
		{"self-service errors", st.DeleteErrorsBefore, now.Add(-r.Errors), &c.Errors},
		{"courier messages", st.DeleteMessagesBefore, now.Add(-r.Messages), &c.Messages},
		{"audit events", st.DeleteEventsBefore, now.Add(-r.Events), &c.Events},
	}
	for _, t := range tables {
		size := batch
		for {
			if err := ctx.Err(); err != nil {
				return c, err
			}
			h := &held{}
			start := clockNow()
			n, err := t.del(context.WithValue(ctx, heldKey{}, h), t.before, size)
			if err != nil {
				return c, fmt.Errorf("delete expired %s: %w", t.name, err)
			}
			took := clockNow().Sub(start)
			if h.noted {
				took = h.took
			}
			*t.count += n
			done := n < size
			if progress != nil {
				progress(t.name, *t.count, done)
			}
			if done {
				break
			}
			size = paced(size, batch, took)
			if err := restFor(ctx, factor*took); err != nil {
				return c, err
			}
		}
	}
	rc, ok := st.(Reclaimer)
	if !ok {
		return c, nil
	}
	for {
		start := clockNow()
		n, err := rc.ReclaimSpace(ctx, reclaimPages)
		if err != nil {
			return c, fmt.Errorf("reclaim free pages: %w", err)
		}
		c.ReclaimedPages += n
		if n < reclaimPages {
			return c, nil
		}
		if err := restFor(ctx, clockNow().Sub(start)); err != nil {
			return c, err
		}
	}
}

// held is where a store's delete notes how long its statement held the writer (NoteHeld).
type held struct {
	took  time.Duration
	noted bool
}

type heldKey struct{}

// NoteHeld is called by a store's delete with the context cleanup gave it and how long the
// statement held the database's writer, the wait for a writer connection left out. Cleanup
// then paces the batch and its rest on that figure instead of the call's whole time: on
// SQLite, whose one writer connection other writes keep busy under load, the call's time is
// mostly that wait, and counting it made the batches shrink to the minimum and the rests grow
// the busier the server was (2,783 rows in 60 s at load average 9.5,
// bench/results/scale-2026-12-06-b.md). Outside a cleanup it does nothing.
func NoteHeld(ctx context.Context, took time.Duration) {
	if h, ok := ctx.Value(heldKey{}).(*held); ok {
		h.took, h.noted = took, true
	}
}

// RestFactor is how many times as long as a batch took cleanup rests after it on a
// single-writer database. With a rest as long as the batch, a cleanup on a 600 MB SQLite file
// under four settings writers and four whoami readers left the writers 0.38-0.43 of their idle
// rate; with twice as long, 0.69 (bench/results/scale-2026-12-06-b.md). On a 2.8 GB file (300k
// identities, 3M sessions) on a slower machine twice as long left them 0.46; three times, 0.56
// and 0.67 with whoami p99 1.01-1.18x idle (bench/results/scale-2026-12-06-sqlite-rest.md).
const RestFactor = 3

// SharedRestFactor is the rest after a batch on a database with many writers (PostgreSQL,
// MySQL): a rest as long as the batch. Back to back, a cleanup deleting 921,420 expired
// sessions in a minute on PostgreSQL at 1M identities and 10M sessions put whoami's p99 at
// 2.26x its idle figure on 2 cores (bench/results/scale-2026-12-06-quiet.md): the deletes'
// CPU, WAL and index work compete with every request even though no lock is shared.
const SharedRestFactor = 1

// paced is the next batch size after a batch of size rows took took.
func paced(size, maxSize int, took time.Duration) int {
	switch {
	case took > BatchTarget:
		return max(min(minBatch, maxSize), size/2)
	case took < BatchTarget/2:
		return min(maxSize, size*2)
	}
	return size
}

// clockNow and restFor are how Run times a batch and rests after it: the machine's monotonic
// clock (the server's clock may be a test's fixed one, and a batch's length is real time) and
// a timer. The package's tests replace both with a fake clock, so that what they check of the
// pacing does not depend on how busy the machine is.
var (
	clockNow = time.Now
	restFor  = sleep
)

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
