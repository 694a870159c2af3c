package throttle

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"time"
)

// Counter keeps the counts (satisfied by store.Throttles).
type Counter interface {
	// ReserveAttempt counts one attempt for key unless max are already counted in the
	// window open at now, atomically, and reports whether it counted it.
	ReserveAttempt(ctx context.Context, key string, now time.Time, window time.Duration, max int) (bool, error)
	// ReleaseAttempt gives back one counted attempt.
	ReleaseAttempt(ctx context.Context, key string) error
	// ClearFailures forgets key's count.
	ClearFailures(ctx context.Context, key string) error
}

// Budget allows Max attempts per Window for each subject of a Scope. Max <= 0 turns it off.
type Budget struct {
	// Scope keeps this budget's counts apart from other budgets' on the same counter.
	Scope  string
	Max    int
	Window time.Duration
}

// key is what the counter stores for subject: never the subject itself (an identifier or an
// address), only a hash of it within the scope.
func (b Budget) key(subject string) string {
	sum := sha256.Sum256([]byte(b.Scope + ":" + subject))
	return hex.EncodeToString(sum[:])
}

// Charge is one attempt charged to a budget for a subject.
type Charge struct {
	Budget  Budget
	Subject string
	// Shared marks a budget many subjects draw on (a client address): a success gives back
	// only its own attempt instead of clearing everyone's failures.
	Shared bool
}

// Limited is the error of an attempt refused because a budget is used up.
type Limited struct {
	// Scope is the budget that refused.
	Scope string
}

func (e *Limited) Error() string { return fmt.Sprintf("throttle: %s budget used up", e.Scope) }

// IsLimited reports whether err is a refusal, and of which budget.
func IsLimited(err error) (*Limited, bool) {
	var l *Limited
	ok := errors.As(err, &l)
	return l, ok
}

// Throttle reserves attempts on a Counter. A nil Throttle, or one without a Counter, admits
// everything.
type Throttle struct {
	Counter Counter
}

// Reserve counts one attempt against every charge, all or none: when a budget refuses, the
// attempts already counted for the others are given back and the error is a *Limited. The
// caller must settle the returned reservation once the attempt has been evaluated.
func (t *Throttle) Reserve(ctx context.Context, now time.Time, charges ...Charge) (*Reservation, error) {
	r := &Reservation{t: t}
	if t == nil || t.Counter == nil {
		return r, nil
	}
	for _, c := range charges {
		if c.Budget.Max <= 0 {
			continue
		}
		ok, err := t.Counter.ReserveAttempt(ctx, c.Budget.key(c.Subject), now, c.Budget.Window, c.Budget.Max)
		if err == nil && !ok {
			err = &Limited{Scope: c.Budget.Scope}
		}
		if err != nil {
			if rerr := r.Cancel(ctx); rerr != nil {
				return nil, errors.Join(err, rerr)
			}
			return nil, err
		}
		r.charges = append(r.charges, c)
	}
	return r, nil
}

// Reservation is an admitted attempt waiting for its outcome. Leaving it unsettled is a
// failure: the attempts stay counted. Its methods are safe on a nil Reservation.
type Reservation struct {
	t       *Throttle
	charges []Charge
	settled bool
}

// Succeeded settles a successful attempt: each subject's failures are cleared, and a shared
// budget gets its one attempt back. It runs even when ctx was cancelled after the check, so a
// client that goes away cannot leave a success counted as a failure.
func (r *Reservation) Succeeded(ctx context.Context) error {
	return r.settle(ctx, func(c Charge) error {
		if c.Shared {
			return r.t.Counter.ReleaseAttempt(ctx, c.Budget.key(c.Subject))
		}
		return r.t.Counter.ClearFailures(ctx, c.Budget.key(c.Subject))
	})
}

// Cancel gives every counted attempt back: for an attempt that was never evaluated (the
// hasher was busy, the database failed).
func (r *Reservation) Cancel(ctx context.Context) error {
	return r.settle(ctx, func(c Charge) error {
		return r.t.Counter.ReleaseAttempt(ctx, c.Budget.key(c.Subject))
	})
}

func (r *Reservation) settle(ctx context.Context, f func(Charge) error) error {
	if r == nil || r.settled || r.t == nil || r.t.Counter == nil {
		return nil
	}
	r.settled = true
	ctx = context.WithoutCancel(ctx)
	var errs []error
	for _, c := range r.charges {
		if err := f(c); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// Limit is one budget on a throttle, for callers that charge one subject per attempt (second
// factors, per identity).
type Limit struct {
	Throttle *Throttle
	Budget   Budget
}

// Reserve reserves an attempt for subject; see Throttle.Reserve.
func (l Limit) Reserve(ctx context.Context, subject string, now time.Time) (*Reservation, error) {
	return l.Throttle.Reserve(ctx, now, Charge{Budget: l.Budget, Subject: subject})
}
