// Package cleanup deletes what has expired — self-service flows, sessions, login-failure
// counters and stored self-service errors — in small batches, so tables stay bounded without
// long locks (anyone can make the server store a flow or an error). The server's background
// loop and the `portico cleanup` command both run it.
package cleanup

import (
	"context"
	"fmt"
	"time"
)

// Store is the part of the store cleanup needs (satisfied by store.Store).
type Store interface {
	DeleteFlowsExpiredBefore(ctx context.Context, t time.Time, limit int) (int, error)
	DeleteSessionsExpiredBefore(ctx context.Context, t time.Time, limit int) (int, error)
	DeleteFailuresBefore(ctx context.Context, t time.Time, limit int) (int, error)
	DeleteErrorsBefore(ctx context.Context, t time.Time, limit int) (int, error)
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
}

// Default is what the server keeps. Flows get an hour, not a day: at 2,000 flows a second a
// day of flows is 170 million rows (bench/results/churn-2026-11-28.md).
var Default = Retention{Flows: time.Hour, Sessions: 24 * time.Hour, LoginFailures: 24 * time.Hour, Errors: time.Hour}

// Counts are the rows deleted per table.
type Counts struct {
	Flows, Sessions, LoginFailures, Errors int
}

// Progress is told after every batch: the table, the rows deleted from it so far, and whether
// the table is done.
type Progress func(table string, deleted int, done bool)

// Run deletes, table by table and batch by batch, the rows that expired longer ago than r
// allows at now. progress may be nil. It stops at the first error or when ctx ends.
func Run(ctx context.Context, st Store, now time.Time, r Retention, batch int, progress Progress) (Counts, error) {
	var c Counts
	tables := []struct {
		name   string
		del    func(context.Context, time.Time, int) (int, error)
		before time.Time
		count  *int
	}{
		{"flows", st.DeleteFlowsExpiredBefore, now.Add(-r.Flows), &c.Flows},
		{"sessions", st.DeleteSessionsExpiredBefore, now.Add(-r.Sessions), &c.Sessions},
		{"login failures", st.DeleteFailuresBefore, now.Add(-r.LoginFailures), &c.LoginFailures},
		{"self-service errors", st.DeleteErrorsBefore, now.Add(-r.Errors), &c.Errors},
	}
	for _, t := range tables {
		for {
			if err := ctx.Err(); err != nil {
				return c, err
			}
			n, err := t.del(ctx, t.before, batch)
			if err != nil {
				return c, fmt.Errorf("delete expired %s: %w", t.name, err)
			}
			*t.count += n
			done := n < batch
			if progress != nil {
				progress(t.name, *t.count, done)
			}
			if done {
				break
			}
		}
	}
	return c, nil
}
