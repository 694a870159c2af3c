package password

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"time"
)

// FailureCounter is where the throttle keeps its counts (satisfied by store.Throttles). It is
// the database, so that every instance behind a load balancer sees the same counts.
type FailureCounter interface {
	AddFailure(ctx context.Context, key string, now time.Time, window time.Duration) (int, error)
	Failures(ctx context.Context, key string, now time.Time, window time.Duration) (int, error)
	ClearFailures(ctx context.Context, key string) error
}

// Throttle counts failed password logins per identifier and blocks an identifier once it
// failed Max times within Window. It counts identifiers whether or not an account exists, so
// its answer reveals nothing, and it stores only a hash of the identifier.
type Throttle struct {
	Counter FailureCounter
	Max     int
	Window  time.Duration
	// Scope keeps this throttle's counts apart from other throttles' on the same counter;
	// "" means "login" (password sign-in).
	Scope string
}

// NewThrottle returns a throttle over counter; max <= 0 disables it.
func NewThrottle(counter FailureCounter, max int, window time.Duration) *Throttle {
	return &Throttle{Counter: counter, Max: max, Window: window}
}

func (t *Throttle) off() bool { return t == nil || t.Max <= 0 || t.Counter == nil }

// key is what the counter stores for an identifier: never the identifier itself.
func (t *Throttle) key(identifier string) string {
	scope := t.Scope
	if scope == "" {
		scope = "login"
	}
	sum := sha256.Sum256([]byte(scope + ":" + identifier))
	return hex.EncodeToString(sum[:])
}

// Allow reports whether identifier may try again at now.
func (t *Throttle) Allow(ctx context.Context, identifier string, now time.Time) (bool, error) {
	if t.off() {
		return true, nil
	}
	n, err := t.Counter.Failures(ctx, t.key(identifier), now, t.Window)
	if err != nil {
		return false, err
	}
	return n < t.Max, nil
}

// Fail records a failed attempt for identifier at now.
func (t *Throttle) Fail(ctx context.Context, identifier string, now time.Time) error {
	if t.off() {
		return nil
	}
	_, err := t.Counter.AddFailure(ctx, t.key(identifier), now, t.Window)
	return err
}

// Reset forgets identifier's failures (after a successful login).
func (t *Throttle) Reset(ctx context.Context, identifier string) error {
	if t.off() {
		return nil
	}
	return t.Counter.ClearFailures(ctx, t.key(identifier))
}
