package conformance

import (
	"testing"
	"time"

	"github.com/portico-auth/portico/internal/store"
)

func testThrottles(t *testing.T, s store.Store) {
	const window = 15 * time.Minute
	key, other := "k1", "k2"
	now := base
	reserve := func(key string, at time.Time, max int) bool {
		t.Helper()
		ok, err := s.ReserveAttempt(ctx(t), key, at, window, max)
		must(t, err)
		return ok
	}
	count := func(key string, at time.Time) int {
		t.Helper()
		n, err := s.Failures(ctx(t), key, at, window)
		must(t, err)
		return n
	}
	for i := 1; i <= 3; i++ {
		if !reserve(key, now.Add(time.Duration(i)*time.Minute), 3) {
			t.Fatalf("attempt %d of 3 refused", i)
		}
	}
	if reserve(key, now.Add(4*time.Minute), 3) {
		t.Fatal("a fourth attempt with max 3 was admitted")
	}
	if n := count(key, now.Add(4*time.Minute)); n != 3 {
		t.Fatalf("a refused attempt was counted: %d, want 3", n)
	}
	if n := count(other, now); n != 0 {
		t.Fatalf("unknown key: %d", n)
	}
	must(t, s.ReleaseAttempt(ctx(t), key))
	if n := count(key, now.Add(4*time.Minute)); n != 2 {
		t.Fatalf("after a release: %d, want 2", n)
	}
	if !reserve(key, now.Add(4*time.Minute), 3) {
		t.Fatal("the released attempt cannot be reserved again")
	}
	// The window opened at the first attempt (now+1m) has ended by now+17m: a new one starts.
	if n := count(key, now.Add(17*time.Minute)); n != 0 {
		t.Fatalf("after the window: %d", n)
	}
	if !reserve(key, now.Add(17*time.Minute), 3) || count(key, now.Add(17*time.Minute)) != 1 {
		t.Fatal("a new window did not restart at one")
	}
	must(t, s.ClearFailures(ctx(t), key))
	if n := count(key, now.Add(17*time.Minute)); n != 0 {
		t.Fatalf("after clear: %d", n)
	}
	// Releasing never goes below zero.
	must(t, s.ReleaseAttempt(ctx(t), key))
	must(t, s.ReleaseAttempt(ctx(t), "never-seen"))
	if reserve(key, now, 0) {
		t.Fatal("max 0 admitted an attempt")
	}

	if !reserve(other, now, 1) {
		t.Fatal("a fresh key refused its first attempt")
	}
	n, err := s.DeleteFailuresBefore(ctx(t), now.Add(time.Hour), 0)
	must(t, err)
	if n != 1 {
		t.Fatalf("deleted %d counters, want 1", n)
	}
}

// testThrottlesConcurrentReserve: the check and the count are one step, so of many concurrent
// reservations exactly max are admitted, on a fresh key and on one whose window is ending.
func testThrottlesConcurrentReserve(t *testing.T, s store.Store) {
	const window = 15 * time.Minute
	const attempts, max = 100, 5
	race := func(key string, at time.Time) int {
		return concurrently(t, attempts, func() (bool, error) {
			return s.ReserveAttempt(ctx(t), key, at, window, max)
		})
	}
	if n := race("fresh", base); n != max {
		t.Fatalf("%d concurrent reservations admitted %d, want %d", attempts, n, max)
	}
	if n := race("fresh", base.Add(time.Minute)); n != 0 {
		t.Fatalf("a full window admitted %d more", n)
	}
	if n := race("fresh", base.Add(window+time.Second)); n != max {
		t.Fatalf("after the window %d concurrent reservations admitted %d, want %d", attempts, n, max)
	}
}
