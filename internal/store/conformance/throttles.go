package conformance

import (
	"sync"
	"testing"
	"time"

	"github.com/portico-auth/portico/internal/store"
)

func testThrottles(t *testing.T, s store.Store) {
	const window = 15 * time.Minute
	key, other := "k1", "k2"
	now := base
	for i := 1; i <= 3; i++ {
		n, err := s.AddFailure(ctx(t), key, now.Add(time.Duration(i)*time.Minute), window)
		must(t, err)
		if n != i {
			t.Fatalf("failure %d counted as %d", i, n)
		}
	}
	if n, err := s.Failures(ctx(t), key, now.Add(4*time.Minute), window); err != nil || n != 3 {
		t.Fatalf("Failures = %d, %v; want 3", n, err)
	}
	if n, err := s.Failures(ctx(t), other, now, window); err != nil || n != 0 {
		t.Fatalf("unknown key: %d, %v", n, err)
	}
	// The window opened at the first failure (now+1m) has ended by now+17m: a new one starts.
	if n, err := s.Failures(ctx(t), key, now.Add(17*time.Minute), window); err != nil || n != 0 {
		t.Fatalf("after the window: %d, %v", n, err)
	}
	if n, err := s.AddFailure(ctx(t), key, now.Add(17*time.Minute), window); err != nil || n != 1 {
		t.Fatalf("new window counted %d, %v", n, err)
	}
	must(t, s.ClearFailures(ctx(t), key))
	if n, err := s.Failures(ctx(t), key, now.Add(17*time.Minute), window); err != nil || n != 0 {
		t.Fatalf("after clear: %d, %v", n, err)
	}

	// Concurrent failures are all counted.
	var wg sync.WaitGroup
	errs := make(chan error, 16)
	for range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := s.AddFailure(ctx(t), other, now, window)
			errs <- err
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		must(t, err)
	}
	if n, err := s.Failures(ctx(t), other, now, window); err != nil || n != 16 {
		t.Fatalf("16 concurrent failures counted as %d, %v", n, err)
	}

	n, err := s.DeleteFailuresBefore(ctx(t), now.Add(time.Hour), 0)
	must(t, err)
	if n != 1 {
		t.Fatalf("deleted %d counters, want 1", n)
	}
}
