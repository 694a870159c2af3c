package audit

import (
	"context"
	"sync"
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
