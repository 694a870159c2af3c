package hash

import (
	"context"
	"errors"
	"net/http"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/portico-auth/portico/internal/apierr"
)

// TestLimitSizedFromMemory: the number of concurrent hashes follows the memory budget and
// the CPUs, never below one.
func TestLimitSizedFromMemory(t *testing.T) {
	procs := runtime.GOMAXPROCS(0)
	for _, tc := range []struct {
		name   string
		opts   Options
		budget uint64
		want   int
	}{
		{"bcrypt: one per CPU", cheapBcrypt, 1 << 30, procs},
		{"argon2 128 MiB in 256 MiB", Options{Algorithm: AlgorithmArgon2}, 256 << 20, min(2, procs)},
		{"argon2 larger than the budget runs alone", Options{Algorithm: AlgorithmArgon2, Argon2: Argon2Options{Memory: 512 << 10}}, 256 << 20, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			l := newLimiter(tc.budget, time.Second, 0)
			h := &Hasher{opts: tc.opts, limit: l}
			if tc.opts.Algorithm == AlgorithmArgon2 && tc.opts.Argon2.Memory == 0 {
				h.opts.Argon2.Memory = DefaultArgon2Memory
			}
			if got := h.Stats().Limit; got != tc.want {
				t.Fatalf("limit %d, want %d", got, tc.want)
			}
		})
	}
}

// TestConcurrentHashesStayUnderTheLimit: 64 concurrent argon2 compares (the work of 64
// anonymous logins) never run more at once than the limit allows.
func TestConcurrentHashesStayUnderTheLimit(t *testing.T) {
	opts := cheapArgon2
	opts.Argon2.Memory = 4 << 10 // 4 MiB each
	opts.MemoryBudget = 8 << 20  // room for two
	opts.QueuePerSlot = 64       // all 64 wait their turn
	h := New(opts)
	stored, err := h.Hash(context.Background(), []byte("right"))
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for range 64 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := h.Compare(context.Background(), []byte("wrong"), stored); !errors.Is(err, ErrMismatch) {
				t.Errorf("compare: %v", err)
			}
		}()
	}
	wg.Wait()
	st := h.Stats()
	if st.Limit != min(2, runtime.GOMAXPROCS(0)) || st.Peak > st.Limit || st.Peak < 1 || st.InFlight != 0 {
		t.Fatalf("stats %+v: peak above the limit", st)
	}
}

// TestBusyAfterMaxWait: a hash that cannot get its turn within MaxWait is refused with a 503
// in Kratos's error shape; one whose request ended gets the context's error.
func TestBusyAfterMaxWait(t *testing.T) {
	opts := cheapBcrypt
	opts.MaxWait = 20 * time.Millisecond
	h := New(opts)
	// Take the whole budget, as long-running hashes would.
	if err := h.limit.sem.Acquire(context.Background(), h.limit.budget); err != nil {
		t.Fatal(err)
	}
	_, err := h.Hash(context.Background(), []byte("pw"))
	if !errors.Is(err, ErrBusy) || apierr.From(err).Code != http.StatusServiceUnavailable {
		t.Fatalf("Hash while busy: %v", err)
	}
	if err := h.DummyCompare(context.Background(), []byte("pw")); !errors.Is(err, ErrBusy) {
		t.Fatalf("DummyCompare while busy: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := h.Hash(ctx, []byte("pw")); !errors.Is(err, context.Canceled) {
		t.Fatalf("Hash with an ended request: %v", err)
	}
	h.limit.sem.Release(h.limit.budget)
	if _, err := h.Hash(context.Background(), []byte("pw")); err != nil {
		t.Fatalf("Hash once free: %v", err)
	}
}

// TestBusyWhenQueueFull: while every slot is taken, QueuePerSlot hashes per slot wait (a slow
// CPU makes them slower, not refused) and the next one is refused at once with a 503; the
// waiting ones all run once the slots free up.
func TestBusyWhenQueueFull(t *testing.T) {
	opts := cheapBcrypt
	opts.QueuePerSlot = 3
	h := New(opts)
	queue := opts.QueuePerSlot * h.Stats().Limit
	if err := h.limit.sem.Acquire(context.Background(), h.limit.budget); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, queue)
	for range queue {
		go func() {
			_, err := h.Hash(context.Background(), []byte("pw"))
			done <- err
		}()
	}
	for h.limit.waiting.Load() < int64(queue) {
		time.Sleep(time.Millisecond)
	}
	start := time.Now()
	if _, err := h.Hash(context.Background(), []byte("pw")); !errors.Is(err, ErrBusy) || apierr.From(err).Code != http.StatusServiceUnavailable {
		t.Fatalf("Hash with a full queue: %v", err)
	}
	if d := time.Since(start); d > time.Second {
		t.Fatalf("a full queue refused after %v, not at once", d)
	}
	h.limit.sem.Release(h.limit.budget)
	for range queue {
		if err := <-done; err != nil {
			t.Fatalf("a queued hash failed: %v", err)
		}
	}
}
