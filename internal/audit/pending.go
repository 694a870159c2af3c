package audit

import (
	"context"
	"sync"
)

type pendingKey struct{}

// pending holds the events a context carries until a store writes them.
type pending struct {
	mu  sync.Mutex
	evs []Event
}

// With returns ctx carrying evs for the next store write made with it: the store writes them
// in that write's transaction (store.Events). Events already carried and not yet written stay
// and come first. Attach them at the call that makes the change, so that no other write
// made with the same context takes them.
func With(ctx context.Context, evs ...Event) context.Context {
	if len(evs) == 0 {
		return ctx
	}
	if p, ok := ctx.Value(pendingKey{}).(*pending); ok {
		p.mu.Lock()
		p.evs = append(p.evs, evs...)
		p.mu.Unlock()
		return ctx
	}
	return context.WithValue(ctx, pendingKey{}, &pending{evs: append([]Event(nil), evs...)})
}

// Pending returns the events ctx carries that no write has stored yet. A store calls it in
// each attempt of a transaction and, once the transaction committed, Written.
func Pending(ctx context.Context) []Event {
	p, ok := ctx.Value(pendingKey{}).(*pending)
	if !ok {
		return nil
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]Event(nil), p.evs...)
}

// Written tells ctx that its first n pending events are stored.
func Written(ctx context.Context, n int) {
	p, ok := ctx.Value(pendingKey{}).(*pending)
	if !ok {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.evs = p.evs[min(n, len(p.evs)):]
}
