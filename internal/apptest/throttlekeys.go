package apptest

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"sync"
	"time"

	"github.com/portico-auth/portico/internal/store/sqlstore"
)

// throttleKeys is the store a test's server runs on, with its attempt counters (the login
// throttle's table) kept apart from every other test server's: each key is hashed again with a
// namespace of the server's own. On a database several tests share (PORTICO_TEST_DSN), every
// test's client is 127.0.0.1, so the per-address budgets (30 failed passwords per 15 minutes)
// would otherwise carry one test's failures into the next and refuse its first attempt. The
// keys a server used are cleared when its test ends, so the rows do not pile up either.
type throttleKeys struct {
	*sqlstore.Store
	ns   string
	mu   sync.Mutex
	used map[string]bool
}

func newThrottleKeys(st *sqlstore.Store) *throttleKeys {
	return &throttleKeys{Store: st, ns: rand.Text(), used: map[string]bool{}}
}

// key is key within the server's namespace, as long as the column holds (64 hex characters).
func (s *throttleKeys) key(key string) string {
	sum := sha256.Sum256([]byte(s.ns + ":" + key))
	k := hex.EncodeToString(sum[:])
	s.mu.Lock()
	s.used[k] = true
	s.mu.Unlock()
	return k
}

// ReserveAttempt implements store.Throttles within the server's namespace.
func (s *throttleKeys) ReserveAttempt(ctx context.Context, key string, now time.Time, window time.Duration, max int) (bool, error) {
	return s.Store.ReserveAttempt(ctx, s.key(key), now, window, max)
}

// ReleaseAttempt implements store.Throttles within the server's namespace.
func (s *throttleKeys) ReleaseAttempt(ctx context.Context, key string) error {
	return s.Store.ReleaseAttempt(ctx, s.key(key))
}

// Failures implements store.Throttles within the server's namespace.
func (s *throttleKeys) Failures(ctx context.Context, key string, now time.Time, window time.Duration) (int, error) {
	return s.Store.Failures(ctx, s.key(key), now, window)
}

// ClearFailures implements store.Throttles within the server's namespace.
func (s *throttleKeys) ClearFailures(ctx context.Context, key string) error {
	return s.Store.ClearFailures(ctx, s.key(key))
}

// clear forgets every count the server kept.
func (s *throttleKeys) clear() {
	s.mu.Lock()
	keys := make([]string, 0, len(s.used))
	for k := range s.used {
		keys = append(keys, k)
	}
	s.mu.Unlock()
	for _, k := range keys {
		_ = s.Store.ClearFailures(context.Background(), k)
	}
}
