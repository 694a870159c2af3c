package main

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/portico-auth/portico/internal/apierr"
	"github.com/portico-auth/portico/internal/cleanup"
)

// The -load run: whoami reads and settings writes run without pause on the large database
// while it goes through three phases: idle, a cleanup of expired rows (the production
// cleanup.Run, as `portico cleanup` runs it) and the deletion of an identity with -big
// sessions. Each phase reports the reads' and writes' rate and p99, and on SQLite the
// largest WAL file sampled every 10 ms, so "during" can be compared with "idle".

// phaseStats collects the latencies of one phase.
type phaseStats struct {
	mu            sync.Mutex
	reads, writes []time.Duration
	failures      atomic.Int64
	maxWAL        atomic.Int64
	start         time.Time
	took          time.Duration
}

func (p *phaseStats) add(write bool, d time.Duration) {
	p.mu.Lock()
	if write {
		p.writes = append(p.writes, d)
	} else {
		p.reads = append(p.reads, d)
	}
	p.mu.Unlock()
}

func p99(ds []time.Duration) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[len(s)*99/100]
}

// settingsWrite is what a profile update stores: the identity read with its credentials, its
// traits changed, written back at its version. Writer w of n writes only identities k ≡ w
// (mod n), so two writers never update one identity at once (a 409, not a measurement).
func settingsWrite(ctx context.Context, d *db, w, n, i int) error {
	k := pick(i, len(d.ds.ids)/n)*n + w
	id, err := d.st.GetIdentity(ctx, d.ds.ids[k], true)
	if err != nil {
		return err
	}
	traits, err := json.Marshal(map[string]any{"email": emailOf(k), "name": map[string]string{"first": fmt.Sprintf("Ada%d", i%1000), "last": "Lovelace"}})
	if err != nil {
		return err
	}
	id.Traits = traits
	return d.st.UpdateIdentity(ctx, id)
}

func whoami(ctx context.Context, d *db, _, _, i int) error {
	h := sha256.Sum256([]byte(d.ds.tokens[pick(i, len(d.ds.tokens))]))
	_, err := d.st.GetSessionByToken(ctx, h[:])
	return err
}

// underLoad runs the phases on d and returns the Markdown table of the run, and on SQLite the
// WAL sizes sampled once a second.
func underLoad(ctx context.Context, d *db, c config) (string, error) {
	var cur atomic.Pointer[phaseStats]
	cur.Store(&phaseStats{start: time.Now()})
	stop := make(chan struct{})
	var wg sync.WaitGroup
	var firstErr atomic.Value
	readers := max(1, c.clients/2)
	writers := max(1, c.clients-readers)
	worker := func(write bool, w, n int) {
		defer wg.Done()
		op := whoami
		if write {
			op = settingsWrite
		}
		for i := w * 1_000_003; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			ph := cur.Load()
			start := time.Now()
			if err := op(ctx, d, w, n, i); err != nil {
				ph.failures.Add(1)
				firstErr.CompareAndSwap(nil, err.Error())
			}
			ph.add(write, time.Since(start))
		}
	}
	for w := range readers {
		wg.Add(1)
		go worker(false, w, readers)
	}
	for w := range writers {
		wg.Add(1)
		go worker(true, w, writers)
	}
	var samples []string
	if d.path != "" {
		wg.Add(1)
		go func() {
			defer wg.Done()
			t := time.NewTicker(10 * time.Millisecond)
			defer t.Stop()
			for n := 0; ; n++ {
				select {
				case <-stop:
					return
				case <-t.C:
				}
				var size int64
				if fi, err := os.Stat(d.path + "-wal"); err == nil {
					size = fi.Size()
				}
				ph := cur.Load()
				if size > ph.maxWAL.Load() {
					ph.maxWAL.Store(size)
				}
				if n%100 == 0 {
					samples = append(samples, fmt.Sprintf("%.1f", float64(size)/(1<<20)))
				}
			}
		}()
	}
	type result struct {
		name string
		ph   *phaseStats
		note string
	}
	var results []result
	next := func(name, note string) {
		ph := cur.Load()
		ph.took = time.Since(ph.start)
		results = append(results, result{name, ph, note})
		cur.Store(&phaseStats{start: time.Now()})
	}

	time.Sleep(c.load)
	next("idle", "")

	cctx, cancel := context.WithTimeout(ctx, c.loadCleanup)
	counts, err := cleanup.Run(cctx, d.st, time.Now(), cleanup.Retention{Flows: time.Hour, Sessions: time.Hour, LoginFailures: time.Hour,
		Errors: time.Hour, Messages: time.Hour, Events: time.Hour}, 500, nil)
	capped := cctx.Err() != nil
	cancel()
	if err != nil && !capped {
		close(stop)
		wg.Wait()
		return "", fmt.Errorf("cleanup under load: %w", err)
	}
	cleanNote := fmt.Sprintf("%d expired flows and %d expired sessions deleted", counts.Flows, counts.Sessions)
	if capped {
		cleanNote += fmt.Sprintf(" (stopped at the %s cap)", c.loadCleanup)
	}
	next("cleanup", cleanNote)

	time.Sleep(c.load / 2)
	next("idle again", "")

	start := time.Now()
	err = d.st.DeleteIdentity(ctx, d.ds.loadVictim)
	took := time.Since(start)
	switch {
	case errors.Is(err, apierr.ErrNotFound):
		// A database kept with -reuse whose victim an earlier -load run deleted: the phases
		// before this one still measure.
		next("delete an identity", "not measured: an earlier run deleted its victim")
	case err != nil:
		close(stop)
		wg.Wait()
		return "", fmt.Errorf("delete under load: %w", err)
	default:
		next(fmt.Sprintf("delete an identity with %d sessions", c.big), fmt.Sprintf("the delete took %s", took.Round(time.Millisecond)))
	}
	close(stop)
	wg.Wait()

	var b strings.Builder
	fmt.Fprintf(&b, "| phase | length | whoami/s | whoami p99 | settings writes/s | write p99 | largest WAL | |\n| --- | --- | --- | --- | --- | --- | --- | --- |\n")
	idle := results[0].ph
	rate := func(ph *phaseStats, n int) float64 { return float64(n) / ph.took.Seconds() }
	for _, r := range results {
		wal := "n/a"
		if d.path != "" {
			wal = fmt.Sprintf("%.1f MiB", float64(r.ph.maxWAL.Load())/(1<<20))
		}
		notes := []string{}
		if r.note != "" {
			notes = append(notes, r.note)
		}
		if r.ph != idle {
			notes = append(notes, fmt.Sprintf("whoami p99 %.2f× idle, writes %.2f× idle",
				float64(p99(r.ph.reads))/float64(p99(idle.reads)), rate(r.ph, len(r.ph.writes))/rate(idle, len(idle.writes))))
		}
		if f := r.ph.failures.Load(); f > 0 {
			notes = append(notes, fmt.Sprintf("%d failed operations", f))
		}
		note := strings.Join(notes, "; ")
		fmt.Fprintf(&b, "| %s | %s | %.0f | %s | %.0f | %s | %s | %s |\n", r.name, r.ph.took.Round(10*time.Millisecond),
			rate(r.ph, len(r.ph.reads)), p99(r.ph.reads).Round(10*time.Microsecond),
			rate(r.ph, len(r.ph.writes)), p99(r.ph.writes).Round(10*time.Microsecond), wal, note)
	}
	if e := firstErr.Load(); e != nil {
		fmt.Fprintf(&b, "\nFirst failure: %s\n", e)
	}
	if len(samples) > 0 {
		fmt.Fprintf(&b, "\nWAL file, MiB, sampled once a second through the run: %s\n", strings.Join(samples, " "))
	}
	return b.String(), nil
}
