package sqlstore

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/portico-auth/portico/internal/audit"
	"github.com/portico-auth/portico/internal/identity"
	"github.com/portico-auth/portico/internal/session"
	"github.com/portico-auth/portico/internal/store"
)

// TestDisposableWrites runs every write of the hot paths on PostgreSQL with a statement
// recorder and checks which commit without waiting for the WAL flush (durability.go): the
// disposable ones (a flow written on its own, a trim, a session's extension, attempts given
// back) do; identities, sessions' creation, revocation and authentication, a counted attempt,
// a consumed flow, codes, messages, events and every write inside a transaction (a settings
// change's flows included) do not. It also checks that the setting ends with its statement:
// the next statement on the same connection waits for the flush again.
func TestDisposableWrites(t *testing.T) {
	s := openPostgresTest(t)
	// One connection, so that the statement after a lazy one runs where it ran.
	s.wdb.SetMaxOpenConns(1)
	ctx := t.Context()
	var ran []string
	s.record = func(query string, _ []any) { ran = append(ran, query) }
	t.Cleanup(func() { s.record = nil })

	check := func(name string, disposable bool, op func() error) {
		t.Helper()
		ran = nil
		if err := op(); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		lazy := 0
		for _, q := range ran {
			if strings.Contains(q, lazyCommit) {
				lazy++
			}
		}
		if disposable && lazy == 0 {
			t.Errorf("%s waits for the WAL flush; it is disposable:\n%s", name, strings.Join(ran, "\n"))
		}
		if !disposable && lazy > 0 {
			t.Errorf("%s commits without waiting for the WAL flush:\n%s", name, strings.Join(ran, "\n"))
		}
		var sc string
		if err := s.wdb.QueryRowContext(ctx, "SHOW synchronous_commit").Scan(&sc); err != nil || sc != "on" {
			t.Errorf("after %s the connection's synchronous_commit is %q (%v), want on", name, sc, err)
		}
	}
	durable := func(name string, op func() error) { t.Helper(); check(name, false, op) }
	disposable := func(name string, op func() error) { t.Helper(); check(name, true, op) }

	now := time.Now()
	id := &identity.Identity{SchemaID: "default", Traits: json.RawMessage(`{"email":"d@example.com"}`),
		Credentials: map[identity.CredentialsType]identity.Credentials{
			identity.CredentialsPassword: {Identifiers: []string{"d@example.com"}, Config: json.RawMessage(`{"hashed_password":"$2a$04$x"}`)},
		},
		VerifiableAddresses: []identity.VerifiableAddress{{Value: "d@example.com", Via: "email", Status: "pending"}}}
	durable("CreateIdentity", func() error { return s.CreateIdentity(ctx, id) })
	durable("UpdateIdentity", func() error {
		id.Traits = json.RawMessage(`{"email":"d@example.com","n":1}`)
		return s.UpdateIdentity(ctx, id)
	})
	newFlow := func(kind string) *store.FlowRecord {
		return &store.FlowRecord{Kind: kind, IdentityID: &id.ID, ExpiresAt: now.Add(time.Hour), Data: []byte(`{}`)}
	}
	f := newFlow("settings")
	disposable("CreateFlow", func() error { return s.CreateFlow(ctx, f) })
	disposable("UpdateFlow", func() error { f.Data = []byte(`{"x":1}`); return s.UpdateFlow(ctx, f) })
	durable("UpdateIdentityWith (identity and flows in one transaction)", func() error {
		id.Traits = json.RawMessage(`{"email":"d@example.com","n":2}`)
		return s.UpdateIdentityWith(ctx, id, store.IdentityWrites{Flows: func(*identity.Identity) ([]store.FlowWrite, error) {
			return []store.FlowWrite{{Record: newFlow("settings"), Create: true}, {Record: f}}, nil
		}})
	})
	for range 3 {
		if err := s.CreateFlow(ctx, newFlow("settings")); err != nil {
			t.Fatal(err)
		}
	}
	disposable("TrimFlows", func() error {
		n, err := s.TrimFlows(ctx, "settings", id.ID, f.ID, 2, 1)
		if err == nil && n.Deleted == 0 {
			t.Error("TrimFlows deleted nothing")
		}
		return err
	})
	consumed := newFlow("oidc_state")
	if err := s.CreateFlow(ctx, consumed); err != nil {
		t.Fatal(err)
	}
	durable("DeleteFlow (a single-use flow consumed)", func() error { return s.DeleteFlow(ctx, consumed.Kind, consumed.ID) })

	ss := &session.Session{Active: true, IdentityID: id.ID, TokenHash: []byte("durable-1"), AAL: session.AAL1, ExpiresAt: now.Add(time.Hour)}
	durable("CreateSession", func() error { return s.CreateSession(ctx, ss) })
	durable("CreateSessionCapped", func() error {
		_, err := s.CreateSessionCapped(ctx, &session.Session{Active: true, IdentityID: id.ID, TokenHash: []byte("durable-2"),
			AAL: session.AAL1, ExpiresAt: now.Add(time.Hour)}, 5)
		return err
	})
	disposable("ExtendSession", func() error { return s.ExtendSession(ctx, ss.ID, now, now.Add(2*time.Hour)) })
	durable("RecordSessionAuthentication", func() error {
		got, err := s.GetSession(ctx, ss.ID)
		if err != nil {
			return err
		}
		got.AAL = session.AAL2
		return s.RecordSessionAuthentication(ctx, got, now)
	})
	durable("RevokeSessionsExcept", func() error { _, err := s.RevokeSessionsExcept(ctx, id.ID, uuid.New()); return err })
	durable("RevokeSession", func() error { return s.RevokeSession(ctx, id.ID, ss.ID) })

	durable("ReserveAttempt", func() error { _, err := s.ReserveAttempt(ctx, "k", now, time.Minute, 5); return err })
	disposable("ReleaseAttempt", func() error { return s.ReleaseAttempt(ctx, "k") })
	disposable("ClearFailures", func() error { return s.ClearFailures(ctx, "k") })

	code := newFlow("verification")
	if err := s.CreateFlow(ctx, code); err != nil {
		t.Fatal(err)
	}
	durable("CreateCode", func() error {
		return s.CreateCode(ctx, &store.Code{FlowID: code.ID, Purpose: "verification", Method: "code", Via: "email",
			Address: "d@example.com", Hash: []byte("h"), ExpiresAt: now.Add(time.Hour), CreatedAt: now})
	})
	durable("EnqueueMessage", func() error {
		return s.EnqueueMessage(ctx, &store.Message{Type: "email", Channel: "email", Recipient: "d@example.com",
			TemplateType: "verification_code_valid", Payload: []byte("p"), CreatedAt: now})
	})
	durable("RecordEvents", func() error { return s.RecordEvents(ctx, audit.New(audit.SignIn, id.ID, nil)) })
	durable("DeleteIdentity", func() error { return s.DeleteIdentity(ctx, id.ID) })
}
