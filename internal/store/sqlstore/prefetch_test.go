package sqlstore

import (
	"encoding/json"
	"reflect"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/portico-auth/portico/internal/identity"
	"github.com/portico-auth/portico/internal/session"
	"github.com/portico-auth/portico/internal/store"
)

// TestSessionReadPrefetchesFlow checks that a session read by token with a store.FlowPrefetch
// gives the session GetSessionByToken gives and the flow GetFlow gives (nil for a missing
// flow or another kind), in one statement once the identity's relations are remembered, and
// leaves the prefetch unserved when there is no session.
func TestSessionReadPrefetchesFlow(t *testing.T) {
	eachBackend(t, func(t *testing.T, s *Store) {
		ctx := t.Context()
		id := &identity.Identity{SchemaID: "default", Traits: json.RawMessage(`{"email":"p@example.com"}`),
			Credentials: map[identity.CredentialsType]identity.Credentials{
				identity.CredentialsPassword: {Identifiers: []string{"p@example.com"},
					Config: json.RawMessage(`{"hashed_password":"$argon2id$x"}`)},
			}}
		if err := s.CreateIdentity(ctx, id); err != nil {
			t.Fatal(err)
		}
		tok := []byte("prefetch-token")
		if err := s.CreateSession(ctx, &session.Session{Active: true, IdentityID: id.ID, TokenHash: tok,
			AAL: session.AAL1, ExpiresAt: time.Now().Add(time.Hour)}); err != nil {
			t.Fatal(err)
		}
		owned := &store.FlowRecord{ID: uuid.New(), Kind: "settings", IdentityID: &id.ID,
			ExpiresAt: time.Now().Add(time.Hour), Data: []byte(`{"ui":{"nodes":[]}}`), Private: []byte(`{"k":"v"}`)}
		bare := &store.FlowRecord{ID: uuid.New(), Kind: "settings", ExpiresAt: time.Now().Add(time.Hour),
			Data: []byte(`{"x":1}`)}
		for _, f := range []*store.FlowRecord{owned, bare} {
			if err := s.CreateFlow(ctx, f); err != nil {
				t.Fatal(err)
			}
		}
		want, err := s.GetSessionByToken(ctx, tok)
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range []struct {
			name string
			kind string
			id   uuid.UUID
			want bool
		}{
			{"owned", "settings", owned.ID, true},
			{"no identity, no private", "settings", bare.ID, true},
			{"another kind", "login", owned.ID, false},
			{"missing", "settings", uuid.New(), false},
		} {
			p := &store.FlowPrefetch{Kind: c.kind, ID: c.id}
			var ran int
			s.record = func(string, []any) { ran++ }
			got, err := s.GetSessionByToken(store.WithFlowPrefetch(ctx, p), tok)
			s.record = nil
			if err != nil {
				t.Fatalf("%s: %v", c.name, err)
			}
			if ran != 1 {
				t.Errorf("%s: %d statements, want 1", c.name, ran)
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("%s: session differs:\n got %+v\nwant %+v", c.name, got, want)
			}
			if !p.Done {
				t.Fatalf("%s: prefetch not served", c.name)
			}
			f, err := s.GetFlow(ctx, c.kind, c.id)
			if !c.want {
				if p.Record != nil || err == nil {
					t.Errorf("%s: prefetched %+v, GetFlow err %v; want neither", c.name, p.Record, err)
				}
				continue
			}
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(p.Record, f) {
				t.Errorf("%s: prefetched %+v\nGetFlow %+v", c.name, p.Record, f)
			}
			// Served once: a second read with the same context does not read it again.
			pctx := store.WithFlowPrefetch(ctx, p)
			if store.FlowPrefetchFrom(pctx) != nil {
				t.Errorf("%s: a served prefetch is offered again", c.name)
			}
			// Handed out once, and only for the flow it was read for.
			if _, ok := store.TakePrefetchedFlow(pctx, "login", c.id); ok {
				t.Errorf("%s: taken for another kind", c.name)
			}
			if rec, ok := store.TakePrefetchedFlow(pctx, c.kind, c.id); !ok || rec != p.Record {
				t.Errorf("%s: take = %p, %v; want the prefetched record", c.name, rec, ok)
			}
			if _, ok := store.TakePrefetchedFlow(pctx, c.kind, c.id); ok {
				t.Errorf("%s: taken twice", c.name)
			}
		}
		// No session: the prefetch stays unserved (the caller answers 401 first anyway).
		p := &store.FlowPrefetch{Kind: "settings", ID: owned.ID}
		if _, err := s.GetSessionByToken(store.WithFlowPrefetch(ctx, p), []byte("no such token")); err == nil {
			t.Fatal("a session for an unknown token")
		}
		if p.Done || p.Record != nil {
			t.Errorf("unknown token: prefetch %+v", p)
		}
		if _, ok := store.TakePrefetchedFlow(store.WithFlowPrefetch(ctx, p), "settings", owned.ID); ok {
			t.Error("unknown token: an unserved prefetch was taken")
		}
	})
}
