package password

import (
	"sync"
	"time"
)

// Throttle counts failed password logins per identifier and blocks an identifier once it
// failed Max times within Window. It counts identifiers whether or not an account exists, so
// its answer reveals nothing. It is per instance (in memory): behind several Portico
// instances an attacker gets Max attempts per instance and window.
type Throttle struct {
	Max    int
	Window time.Duration

	mu      sync.Mutex
	entries map[string]*throttleEntry
}

type throttleEntry struct {
	start    time.Time
	failures int
}

// maxThrottleEntries bounds memory: beyond it, expired entries are dropped.
const maxThrottleEntries = 100_000

// NewThrottle returns a throttle; max <= 0 disables it.
func NewThrottle(max int, window time.Duration) *Throttle {
	return &Throttle{Max: max, Window: window, entries: map[string]*throttleEntry{}}
}

// Allow reports whether key may try again at now.
func (t *Throttle) Allow(key string, now time.Time) bool {
	if t == nil || t.Max <= 0 {
		return true
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	e, ok := t.entries[key]
	if !ok || now.Sub(e.start) >= t.Window {
		return true
	}
	return e.failures < t.Max
}

// Fail records a failed attempt for key at now.
func (t *Throttle) Fail(key string, now time.Time) {
	if t == nil || t.Max <= 0 {
		return
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	e, ok := t.entries[key]
	if !ok || now.Sub(e.start) >= t.Window {
		if len(t.entries) >= maxThrottleEntries {
			t.prune(now)
		}
		t.entries[key] = &throttleEntry{start: now, failures: 1}
		return
	}
	e.failures++
}

// Reset forgets key's failures (after a successful login).
func (t *Throttle) Reset(key string) {
	if t == nil {
		return
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	delete(t.entries, key)
}

func (t *Throttle) prune(now time.Time) {
	for k, e := range t.entries {
		if now.Sub(e.start) >= t.Window {
			delete(t.entries, k)
		}
	}
}
