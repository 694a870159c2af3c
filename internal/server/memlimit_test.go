package server

import (
	"context"
	"io"
	"log/slog"
	"runtime/debug"
	rtmetrics "runtime/metrics"
	"testing"
	"time"
)

// TestMemLimitFloor: the floor is twice the live heap plus the runtime's memory outside the
// heap, read from the runtime's real metrics.
func TestMemLimitFloor(t *testing.T) {
	s := memLimitSamples()
	rtmetrics.Read(s)
	if f := memLimitFloor(s); f <= 0 {
		t.Fatalf("floor of this process = %d, want > 0 (a metric missing?)", f)
	}
	// live 10 MB; total 40 MB of which the heap classes are 30 MB: 2×10 + 10.
	if got, want := floorOf([]uint64{10 << 20, 40 << 20, 12 << 20, 3 << 20, 10 << 20, 5 << 20}), int64(30<<20); got != want {
		t.Errorf("floor = %d, want %d", got, want)
	}
	if got := floorOf([]uint64{1 << 20, 1 << 20, 2 << 20, 0, 0, 0}); got != 2<<20 {
		t.Errorf("heap classes above total: floor = %d, want %d", got, 2<<20)
	}
}

// TestStartMemoryLimit: the limit is set while serving and restored after; 0 and a
// GOMEMLIMIT in the environment leave the runtime alone; a limit the live heap does not fit
// in is raised to the floor.
func TestStartMemoryLimit(t *testing.T) {
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	t.Setenv("GOMEMLIMIT", "")
	before := debug.SetMemoryLimit(-1)
	ctx := context.Background()

	stop := StartMemoryLimit(ctx, log, 1<<40)
	if got := debug.SetMemoryLimit(-1); got != 1<<40 {
		t.Errorf("limit while serving = %d, want %d", got, int64(1<<40))
	}
	stop()
	if got := debug.SetMemoryLimit(-1); got != before {
		t.Errorf("limit after stop = %d, want the previous %d", got, before)
	}

	stop = StartMemoryLimit(ctx, log, 0)
	if got := debug.SetMemoryLimit(-1); got != before {
		t.Errorf("limit 0 (off) changed the runtime's limit to %d", got)
	}
	stop()

	t.Setenv("GOMEMLIMIT", "1GiB")
	stop = StartMemoryLimit(ctx, log, 1<<40)
	if got := debug.SetMemoryLimit(-1); got != before {
		t.Errorf("GOMEMLIMIT set: limit changed to %d", got)
	}
	stop()
	t.Setenv("GOMEMLIMIT", "")

	// 64 KB is far below what this test process holds: the watch raises it.
	old := memLimitCheck
	memLimitCheck = 5 * time.Millisecond
	defer func() { memLimitCheck = old }()
	stop = StartMemoryLimit(ctx, log, 64<<10)
	defer stop()
	s := memLimitSamples()
	deadline := time.Now().Add(5 * time.Second)
	for {
		rtmetrics.Read(s)
		got, floor := debug.SetMemoryLimit(-1), memLimitFloor(s)
		if got > 64<<10 && got >= floor/2 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("limit stayed %d with a floor of %d", got, floor)
		}
		time.Sleep(5 * time.Millisecond)
	}
}
