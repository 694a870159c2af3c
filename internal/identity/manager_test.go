package identity_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/portico-auth/portico/internal/apierr"
	"github.com/portico-auth/portico/internal/hash"
	"github.com/portico-auth/portico/internal/identity"
	"github.com/portico-auth/portico/internal/schema"
	"github.com/portico-auth/portico/internal/store/sqlstore"
	"github.com/portico-auth/portico/internal/store/sqlstore/sqlstoretest"
)

const managerSchema = `{
  "$schema": "http://json-schema.org/draft-07/schema#",
  "type": "object",
  "properties": {"traits": {"type": "object", "properties": {
    "email": {"type": "string", "format": "email", "ory.sh/kratos": {
      "credentials": {"password": {"identifier": true}, "webauthn": {"identifier": true}},
      "verification": {"via": "email"}, "recovery": {"via": "email"}}},
    "username": {"type": "string", "ory.sh/kratos": {"credentials": {"password": {"identifier": true}}}}
  }, "required": ["email"]}}
}`

func newManager(t *testing.T) (*identity.Manager, *sqlstore.Store) {
	t.Helper()
	return newManagerFor(t, managerSchema)
}

// newManagerFor is a manager over an in-memory store whose default schema is doc.
func newManagerFor(t *testing.T, doc string) (*identity.Manager, *sqlstore.Store) {
	t.Helper()
	ctx := context.Background()
	st := sqlstoretest.Memory(t)
	reg, err := schema.NewRegistry(ctx, []schema.Source{{ID: "default", URL: "base64://" + base64.StdEncoding.EncodeToString([]byte(doc))}}, "default", nil)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	return identity.NewManager(st, reg, hash.New(hash.Options{BcryptCost: 4}), func() time.Time { return now }), st
}

func TestNormalizeIdentifier(t *testing.T) {
	for in, want := range map[string]string{
		" Ada@Example.COM ": "ada@example.com",
		" UserName ":        "UserName",
		"@x":                "@x",
		"":                  "",
	} {
		if got := identity.NormalizeIdentifier(in); got != want {
			t.Errorf("NormalizeIdentifier(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestCreate(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name  string
		id    identity.Identity
		opts  identity.CreateOptions
		check func(t *testing.T, id *identity.Identity, err error)
	}{
		{"defaults and password", identity.Identity{Traits: json.RawMessage(`{"email":"Ann@Example.com","username":" ann "}`)},
			identity.CreateOptions{Password: "a long password"},
			func(t *testing.T, id *identity.Identity, err error) {
				if err != nil {
					t.Fatal(err)
				}
				c := id.Credentials[identity.CredentialsPassword]
				if id.SchemaID != "default" || id.State != identity.StateActive || id.StateChangedAt == nil ||
					len(c.Identifiers) != 2 || c.Identifiers[0] != "ann@example.com" || c.Identifiers[1] != "ann" {
					t.Fatalf("identity = %+v", id)
				}
				var cfg identity.PasswordConfig
				if json.Unmarshal(c.Config, &cfg) != nil || cfg.HashedPassword == "" {
					t.Fatalf("config = %s", c.Config)
				}
				if len(id.VerifiableAddresses) != 1 || id.VerifiableAddresses[0].Status != "pending" || len(id.RecoveryAddresses) != 1 {
					t.Fatalf("addresses = %+v %+v", id.VerifiableAddresses, id.RecoveryAddresses)
				}
			}},
		{"no password, no credential", identity.Identity{Traits: json.RawMessage(`{"email":"b@example.com"}`)}, identity.CreateOptions{},
			func(t *testing.T, id *identity.Identity, err error) {
				if err != nil || id.HasCredentials(identity.CredentialsPassword) {
					t.Fatalf("err %v, credentials %v", err, id.Credentials)
				}
			}},
		{"unknown schema", identity.Identity{SchemaID: "x", Traits: json.RawMessage(`{"email":"c@example.com"}`)}, identity.CreateOptions{},
			wantKind(apierr.ErrBadRequest)},
		{"bad state", identity.Identity{State: "x", Traits: json.RawMessage(`{"email":"c@example.com"}`)}, identity.CreateOptions{},
			wantKind(apierr.ErrBadRequest)},
		{"invalid traits", identity.Identity{Traits: json.RawMessage(`{"username":"x"}`)}, identity.CreateOptions{},
			wantKind(apierr.ErrBadRequest)},
		{"bad hash", identity.Identity{Traits: json.RawMessage(`{"email":"d@example.com"}`)}, identity.CreateOptions{HashedPassword: "plain"},
			wantKind(apierr.ErrBadRequest)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, _ := newManager(t)
			id := tt.id
			tt.check(t, &id, m.Create(ctx, &id, tt.opts))
		})
	}
}

func wantKind(kind error) func(*testing.T, *identity.Identity, error) {
	return func(t *testing.T, _ *identity.Identity, err error) {
		t.Helper()
		if !errors.Is(err, kind) {
			t.Fatalf("err = %v, want %v", err, kind)
		}
	}
}

func TestCreateDuplicate(t *testing.T) {
	ctx := context.Background()
	m, _ := newManager(t)
	a := &identity.Identity{Traits: json.RawMessage(`{"email":"dup@example.com"}`)}
	if err := m.Create(ctx, a, identity.CreateOptions{Password: "a long password"}); err != nil {
		t.Fatal(err)
	}
	b := &identity.Identity{Traits: json.RawMessage(`{"email":"DUP@example.com"}`)}
	err := m.Create(ctx, b, identity.CreateOptions{Password: "a long password"})
	if !errors.Is(err, apierr.ErrConflict) || apierr.From(err).Reason != identity.ConflictReason {
		t.Fatalf("err = %v", err)
	}
}

func TestUpdate(t *testing.T) {
	ctx := context.Background()
	m, st := newManager(t)
	id := &identity.Identity{Traits: json.RawMessage(`{"email":"up@example.com","username":"up"}`)}
	if err := m.Create(ctx, id, identity.CreateOptions{Password: "a long password"}); err != nil {
		t.Fatal(err)
	}
	loaded, err := st.GetIdentity(ctx, id.ID, true)
	if err != nil {
		t.Fatal(err)
	}
	addrID := loaded.VerifiableAddresses[0].ID
	loaded.VerifiableAddresses[0].Verified = true
	loaded.VerifiableAddresses[0].Status = "completed"
	loaded.Traits = json.RawMessage(`{"email":"up@example.com","username":"renamed"}`)
	stale := *loaded
	if err := m.Update(ctx, loaded); err != nil {
		t.Fatal(err)
	}
	got, err := st.GetIdentity(ctx, id.ID, true)
	if err != nil {
		t.Fatal(err)
	}
	ids := got.Credentials[identity.CredentialsPassword].Identifiers
	if len(ids) != 2 || ids[1] != "renamed" {
		t.Fatalf("identifiers = %v", ids)
	}
	if got.VerifiableAddresses[0].ID != addrID || !got.VerifiableAddresses[0].Verified {
		t.Fatalf("address = %+v", got.VerifiableAddresses[0])
	}
	// A second writer holding the old version loses, and says so.
	stale.Traits = json.RawMessage(`{"email":"up@example.com","username":"other"}`)
	if err := m.Update(ctx, &stale); !errors.Is(err, apierr.ErrConflict) {
		t.Fatalf("stale update: err = %v", err)
	}
}

func TestConcurrentCreatesOfOneIdentifier(t *testing.T) {
	ctx := context.Background()
	m, _ := newManager(t)
	var wg sync.WaitGroup
	errs := make([]error, 4)
	for i := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			id := &identity.Identity{Traits: json.RawMessage(`{"email":"race@example.com"}`)}
			errs[i] = m.Create(ctx, id, identity.CreateOptions{HashedPassword: "$2a$04$abcdefghijklmnopqrstuuJ1Yw8b3iQ7cJlqvA9qz9cYq9xYq9xYq"})
		}()
	}
	wg.Wait()
	ok := 0
	for _, err := range errs {
		switch {
		case err == nil:
			ok++
		case !errors.Is(err, apierr.ErrConflict):
			t.Fatalf("unexpected error %v", err)
		}
	}
	if ok != 1 {
		t.Fatalf("%d creates succeeded, want 1", ok)
	}
}
