package main

import (
	"context"
	"fmt"
	"sync"
	"time"
)

// result is what one scenario run measured.
type result struct {
	scenario  scenario
	requests  int
	elapsed   time.Duration
	latencies []time.Duration // sorted
	errors    int
	// firstErrors holds the first few distinct unexpected replies, for the report.
	firstErrors []string
	peakRSS     int64 // bytes, 0 when unknown
	cpu         cpuUse
}

// maxDistinctErrors bounds how many distinct unexpected replies a result keeps.
const maxDistinctErrors = 5

// workerStats is one worker's private tally, merged after the run (no locks on the hot path).
type workerStats struct {
	latencies []time.Duration
	errors    int
	distinct  []string
}

func (s *workerStats) fail(msg string) {
	s.errors++
	if len(s.distinct) < maxDistinctErrors {
		s.distinct = append(s.distinct, msg)
	}
}

// run drives sc with concurrency workers for d (after warmup, whose requests are not counted)
// and returns what it measured. Workers start no request after the deadline but finish the one
// in flight, so slow operations (password hashing) are neither lost nor cut short; the elapsed
// time runs until the last one ends. Every loop is bounded by the deadline.
// m takes the CPU readings around the timed part (they include the untimed preparation some
// scenarios do between requests, such as a fresh flow after a failure).
func run(ctx context.Context, e *env, sc scenario, concurrency int, warmup, d time.Duration, m *cpuMeter) result {
	if warmup > 0 {
		drive(ctx, time.Now().Add(warmup), e, sc, concurrency)
	}
	m.start()
	start := time.Now()
	stats := drive(ctx, start.Add(d), e, sc, concurrency)
	res := merge(sc, stats, time.Since(start))
	res.cpu = m.stop()
	return res
}

func drive(ctx context.Context, deadline time.Time, e *env, sc scenario, concurrency int) []*workerStats {
	stats := make([]*workerStats, concurrency)
	var wg sync.WaitGroup
	for w := range concurrency {
		st := &workerStats{latencies: make([]time.Duration, 0, 4096)}
		stats[w] = st
		o := sc.op(e, w)
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil && time.Now().Before(deadline) {
				if o.prep != nil {
					if err := o.prep(ctx); err != nil {
						if ctx.Err() == nil {
							st.fail("prepare: " + err.Error())
						}
						continue
					}
				}
				t0 := time.Now()
				r, err := o.run(ctx)
				lat := time.Since(t0)
				if err != nil {
					if ctx.Err() != nil {
						return // interrupted: neither a request nor an error
					}
					st.latencies = append(st.latencies, lat)
					st.fail(err.Error())
					continue
				}
				st.latencies = append(st.latencies, lat)
				if r.status != sc.want {
					st.fail(fmt.Sprintf("status %d: %s", r.status, snippet(r.body)))
				}
			}
		}()
	}
	wg.Wait()
	return stats
}

func merge(sc scenario, stats []*workerStats, elapsed time.Duration) result {
	res := result{scenario: sc, elapsed: elapsed}
	seen := map[string]bool{}
	n := 0
	for _, s := range stats {
		n += len(s.latencies)
	}
	res.latencies = make([]time.Duration, 0, n)
	for _, s := range stats {
		res.latencies = append(res.latencies, s.latencies...)
		res.errors += s.errors
		for _, m := range s.distinct {
			if !seen[m] && len(res.firstErrors) < maxDistinctErrors {
				seen[m] = true
				res.firstErrors = append(res.firstErrors, m)
			}
		}
	}
	res.requests = len(res.latencies)
	sortDurations(res.latencies)
	return res
}
