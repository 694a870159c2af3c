package server

import (
	"context"
	"log/slog"
	"math"
	"os"
	"runtime/debug"
	rtmetrics "runtime/metrics"
	"time"
)

// memLimitCheck is how often the soft memory limit is compared with the live heap: reading
// the runtime's metrics costs a few microseconds and stops nothing. A variable for tests.
var memLimitCheck = time.Second

// memLimitStep is the smallest change of the floor that moves the limit, so that a live heap
// wobbling by a few KB does not reset the runtime's limit every second.
const memLimitStep = 1 << 20

// StartMemoryLimit gives the Go runtime a soft memory limit (serve.memory_limit): the GC then
// works harder as the process's Go memory nears limit instead of letting the heap run to twice
// the live heap plus what 16 concurrent requests allocate during a cycle, and it hands freed
// pages back to the system sooner. limit 0 leaves the runtime alone, and so does a GOMEMLIMIT
// in the environment (the operator's own choice wins).
//
// The limit is never tighter than the room the GC would take anyway (memLimitFloor): a
// deployment whose live heap outgrows the configured value (a large identity cache) gets the
// limit raised after it, checked every second, so that the GC never runs back to back
// chasing a limit the live heap alone fills. stop ends the watch and restores the previous
// limit.
func StartMemoryLimit(ctx context.Context, log *slog.Logger, limit int64) (stop func()) {
	if limit <= 0 {
		return func() {}
	}
	if v, ok := os.LookupEnv("GOMEMLIMIT"); ok && v != "" {
		log.Info("serve.memory_limit not applied: GOMEMLIMIT is set", "GOMEMLIMIT", v)
		return func() {}
	}
	prev := debug.SetMemoryLimit(limit)
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		samples := memLimitSamples()
		cur := limit
		t := time.NewTicker(memLimitCheck)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
			rtmetrics.Read(samples)
			want := max(limit, memLimitFloor(samples))
			if want == cur || (want != limit && want > cur-memLimitStep && want < cur+memLimitStep) {
				continue
			}
			if cur == limit {
				log.Info("serve.memory_limit raised: the live heap needs more room", "limit", limit, "now", want)
			}
			debug.SetMemoryLimit(want)
			cur = want
		}
	}()
	return func() {
		cancel()
		<-done
		debug.SetMemoryLimit(prev)
	}
}

// The runtime metrics memLimitFloor reads, in this order.
var memLimitMetrics = []string{
	"/gc/heap/live:bytes",
	"/memory/classes/total:bytes",
	"/memory/classes/heap/objects:bytes",
	"/memory/classes/heap/unused:bytes",
	"/memory/classes/heap/free:bytes",
	"/memory/classes/heap/released:bytes",
}

func memLimitSamples() []rtmetrics.Sample {
	s := make([]rtmetrics.Sample, len(memLimitMetrics))
	for i, name := range memLimitMetrics {
		s[i].Name = name
	}
	return s
}

// memLimitFloor is the least soft limit that still leaves the GC the room GOGC=100 gives it:
// twice the live heap (the heap goal) plus what the runtime holds outside the heap (goroutine
// stacks, GC metadata, buffers). A limit below that makes the GC run more often than it would
// without one; above it, the limit only trims the overshoot during a cycle and the free pages
// kept after it.
func memLimitFloor(s []rtmetrics.Sample) int64 {
	v := make([]uint64, len(s))
	for i := range s {
		if s[i].Value.Kind() != rtmetrics.KindUint64 {
			return 0
		}
		v[i] = s[i].Value.Uint64()
	}
	return floorOf(v)
}

// floorOf is memLimitFloor over the values of memLimitMetrics.
func floorOf(v []uint64) int64 {
	live, total := v[0], v[1]
	heap := v[2] + v[3] + v[4] + v[5]
	var other uint64
	if total > heap {
		other = total - heap
	}
	f := 2*live + other
	if f > math.MaxInt64 {
		return math.MaxInt64
	}
	return int64(f)
}
