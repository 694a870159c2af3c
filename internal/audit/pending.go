package audit

import (
	"context"
	"sync"
	"sync/atomic"
)

type pendingKey struct{}

// pending holds what a context carries until a store writes it: each item gives its events
// when the write runs.
type pending struct {
	mu    sync.Mutex
	items []func() []Event
}

// With returns ctx carrying evs for the next store write made with it: the store writes them
// in that write's transaction (store.Events). Events already carried and not yet written stay
// and come first. Attach them at the call that makes the change, so that no other write
// made with the same context takes them.
func With(ctx context.Context, evs ...Event) context.Context {
	if len(evs) == 0 {
		return ctx
	}
	evs = append([]Event(nil), evs...)
	return WithFunc(ctx, func() []Event { return evs })
}

// WithFunc is With for events known only when the write runs: f is called inside the store's
// transaction (again if the transaction is retried), e.g. to compare an identity with what it
// was once the identity manager has derived its addresses (Changes).
func WithFunc(ctx context.Context, f func() []Event) context.Context {
	if p, ok := ctx.Value(pendingKey{}).(*pending); ok {
		p.mu.Lock()
		p.items = append(p.items, f)
		p.mu.Unlock()
		return ctx
	}
	return context.WithValue(ctx, pendingKey{}, &pending{items: []func() []Event{f}})
}

// Holding returns ctx with a holder of its own for events not yet written (ctx itself when it
// has one): events attached later to a context made from it, e.g. in a callback that receives
// that context (identity.WithBeforeSave), are then seen by every write made with any of them.
func Holding(ctx context.Context) context.Context {
	if _, ok := ctx.Value(pendingKey{}).(*pending); ok {
		return ctx
	}
	return context.WithValue(ctx, pendingKey{}, &pending{})
}

// Carries reports whether ctx carries events no write has stored yet, without computing them
// (a function's events are computed once, in the transaction that stores them).
func Carries(ctx context.Context) bool {
	p, ok := ctx.Value(pendingKey{}).(*pending)
	if !ok {
		return false
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.items) > 0
}

// Pending returns the events ctx carries that no write has stored yet, and done, which marks
// them stored: a store calls Pending in each attempt of a transaction and done once it
// committed.
func Pending(ctx context.Context) (evs []Event, done func()) {
	p, ok := ctx.Value(pendingKey{}).(*pending)
	if !ok {
		return nil, func() {}
	}
	p.mu.Lock()
	items := append([]func() []Event(nil), p.items...)
	p.mu.Unlock()
	for _, f := range items {
		evs = append(evs, f()...)
	}
	return evs, func() {
		p.mu.Lock()
		defer p.mu.Unlock()
		p.items = p.items[min(len(items), len(p.items)):]
	}
}

type revokedKey struct{}

// Revoked is the number of sessions a store write ended besides the change it makes (the
// other sessions a credential change ends, the oldest ones past session.max_per_identity),
// for an event function (WithFunc) of the same write: the store sets it inside the
// transaction, before the events are computed, so the event tells how many in one row.
type Revoked struct{ n atomic.Int64 }

// N returns the number the last write made with the context set (0 when none).
func (c *Revoked) N() int { return int(c.n.Load()) }

// WithRevoked returns ctx carrying a fresh Revoked for the writes made with it.
func WithRevoked(ctx context.Context) (context.Context, *Revoked) {
	c := &Revoked{}
	return context.WithValue(ctx, revokedKey{}, c), c
}

// SetRevoked records, for the Revoked ctx carries (if any), that the write ended n sessions.
// A store calls it in every attempt of the transaction, so a retry does not add up.
func SetRevoked(ctx context.Context, n int) {
	if c, ok := ctx.Value(revokedKey{}).(*Revoked); ok {
		c.n.Store(int64(n))
	}
}
