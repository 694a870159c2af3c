// Package audithttp is the request side of the audit trail: a Recorder fills in what an event
// learns from the request (the client's address by the serve.public.trusted_proxies rule, the
// user agent) and the time, and either records it at once or hands it to the store write that
// makes the change it tells of (audit.With). Handlers hold a *Recorder; a nil one records
// nothing, so a handler built without it (a unit test) behaves as before.
//
// An event that names no identity (an attempt on an identifier, code or key no identity
// holds) is counted and not stored: anyone can make such attempts from as many addresses as
// they have, no API lists them, and storing each would let an anonymous client grow the
// table without bound.
package audithttp

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"time"

	"github.com/portico-auth/portico/internal/audit"
	"github.com/portico-auth/portico/internal/clientaddr"
)

// Store records events on their own (satisfied by store.Events).
type Store interface {
	RecordEvents(ctx context.Context, evs ...audit.Event) error
}

// Recorder records audit events of requests.
type Recorder struct {
	Store Store
	// Addresses reads the client's address (the server's one resolver).
	Addresses *clientaddr.Resolver
	// Now is the clock and Log the logger (required).
	Now func() time.Time
	Log *slog.Logger
	// Unstored, when set, counts an event Record did not store because it names no identity,
	// by type and the method in its details ("" when none).
	Unstored func(typ, method string)
}

// fill returns evs with the request's side and the time filled in where they are empty.
// addrs reads the client address: the public listener's resolver, or nil (the peer) for the
// admin listener, whose callers are the operator's own tools.
func (rc *Recorder) fill(r *http.Request, addrs *clientaddr.Resolver, evs []audit.Event) []audit.Event {
	out := make([]audit.Event, len(evs))
	now := rc.Now()
	for i, ev := range evs {
		if ev.Time.IsZero() {
			ev.Time = now
		}
		if ev.Address == "" {
			if a := addrs.Address(r); a.IsValid() {
				ev.Address = a.String()
			}
		}
		if ev.UserAgent == "" {
			ev.UserAgent = r.UserAgent()
		}
		out[i] = ev
	}
	return out
}

// Record stores evs of request r at once, for events that go with no change of their own (a
// sign-in, a refused attempt): one insert each. An event of no identity is not stored but
// counted (Unstored) and logged at DEBUG. A failure is logged, never returned: the sign-in it
// tells of has happened.
func (rc *Recorder) Record(r *http.Request, evs ...audit.Event) {
	if rc == nil {
		return
	}
	ctx := r.Context()
	evs = rc.attributed(ctx, evs)
	if len(evs) == 0 {
		return
	}
	if err := rc.Store.RecordEvents(ctx, rc.fill(r, rc.Addresses, evs)...); err != nil {
		rc.Log.ErrorContext(ctx, "record audit event", "type", evs[0].Type, "error", err)
	}
}

// attributed returns the events of evs that name an identity, counting the others.
func (rc *Recorder) attributed(ctx context.Context, evs []audit.Event) []audit.Event {
	out := evs[:0:0]
	for _, ev := range evs {
		if ev.IdentityID != nil {
			out = append(out, ev)
			continue
		}
		var d struct {
			Method string `json:"method"`
		}
		_ = json.Unmarshal(ev.Details, &d) // Portico's own details; no method is ""
		if rc.Unstored != nil {
			rc.Unstored(ev.Type, d.Method)
		}
		rc.Log.DebugContext(ctx, "audit event of no identity not stored", "type", ev.Type, "method", d.Method)
	}
	return out
}

// With returns r's context carrying evs for the store write that makes the change they tell
// of (audit.With): pass it to that call only.
func (rc *Recorder) With(r *http.Request, evs ...audit.Event) context.Context {
	if rc == nil {
		return r.Context()
	}
	return audit.With(r.Context(), rc.fill(r, rc.Addresses, evs)...)
}

// WithAdmin is With for a request of the admin API: the address is the connection's peer
// (serve.public.trusted_proxies is the public listener's).
func (rc *Recorder) WithAdmin(r *http.Request, evs ...audit.Event) context.Context {
	if rc == nil {
		return r.Context()
	}
	return audit.With(r.Context(), rc.fill(r, nil, evs)...)
}

// WithFunc returns ctx carrying the events f gives when the store writes (audit.WithFunc),
// filled from r (a request of the admin API when admin is set): for events that depend on
// what the write stores, an identity's id or its derived addresses.
func (rc *Recorder) WithFunc(ctx context.Context, r *http.Request, admin bool, f func() []audit.Event) context.Context {
	if rc == nil {
		return ctx
	}
	addrs := rc.Addresses
	if admin {
		addrs = nil
	}
	return audit.WithFunc(ctx, func() []audit.Event { return rc.fill(r, addrs, f()) })
}
