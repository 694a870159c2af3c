package sqlstore

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"strings"
	"sync"
	"testing"

	"github.com/portico-auth/portico/internal/testdb"

	"github.com/portico-auth/portico/internal/apierr"
	"github.com/portico-auth/portico/internal/identity"
	"github.com/portico-auth/portico/internal/store/migrations"
)

// eachBackend runs fn on a fresh, migrated store of every backend: SQLite always, PostgreSQL and
// MariaDB/MySQL when their DSN is set (required with CI=true).
func eachBackend(t *testing.T, fn func(t *testing.T, s *Store)) {
	t.Run("sqlite", func(t *testing.T) {
		fn(t, openMigrated(t, "sqlite://"+t.TempDir()+"/keys.db"))
	})
	t.Run("postgres", func(t *testing.T) {
		fn(t, openMigrated(t, testdb.PostgresSchema(t, testdb.ServerDSN(t, testdb.PostgresEnv))))
	})
	t.Run("mysql", func(t *testing.T) {
		fn(t, openMigrated(t, testdb.MySQLDatabase(t, testdb.ServerDSN(t, testdb.MySQLEnv))))
	})
}

func newKeyID(t *testing.T) []byte {
	t.Helper()
	id := make([]byte, 32)
	if _, err := rand.Read(id); err != nil {
		t.Fatal(err)
	}
	return id
}

// withKeys returns an identity holding credentials of type typ with the given key ids, in the
// config shape the webauthn package writes.
func withKeys(t *testing.T, typ identity.CredentialsType, ids ...[]byte) *identity.Identity {
	t.Helper()
	type key struct {
		ID []byte `json:"id"`
	}
	cfg := struct {
		Credentials []key  `json:"credentials"`
		UserHandle  []byte `json:"user_handle"`
	}{UserHandle: newKeyID(t)}
	for _, id := range ids {
		cfg.Credentials = append(cfg.Credentials, key{ID: id})
	}
	raw, err := json.Marshal(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return &identity.Identity{
		SchemaID: "default", Traits: json.RawMessage(`{}`),
		Credentials: map[identity.CredentialsType]identity.Credentials{
			typ: {Type: typ, Config: raw, Identifiers: []string{base64.RawURLEncoding.EncodeToString(cfg.UserHandle)}},
		},
	}
}

func wantKeyTaken(t *testing.T, what string, err error) {
	t.Helper()
	if !errors.Is(err, identity.ErrKeyTaken) || !errors.Is(err, apierr.ErrConflict) {
		t.Fatalf("%s: %v, want a conflict wrapping identity.ErrKeyTaken", what, err)
	}
}

// TestCredentialKeysUnique: the store refuses a WebAuthn/passkey credential id that any identity
// holds already (across identities and across the two types), keeps an identity's own ids through
// its updates, frees them when the identity goes, lets exactly one of 100 concurrent claims win,
// and migration 0006 indexes the keys stored before it.
func TestCredentialKeysUnique(t *testing.T) {
	eachBackend(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		k := newKeyID(t)
		a := withKeys(t, identity.CredentialsPasskey, k, newKeyID(t))
		if err := s.CreateIdentity(ctx, a); err != nil {
			t.Fatal(err)
		}
		wantKeyTaken(t, "another identity, other type", s.CreateIdentity(ctx, withKeys(t, identity.CredentialsWebAuthn, k)))
		wantKeyTaken(t, "another identity, same type", s.CreateIdentity(ctx, withKeys(t, identity.CredentialsPasskey, newKeyID(t), k)))

		b := withKeys(t, identity.CredentialsWebAuthn, newKeyID(t))
		if err := s.CreateIdentity(ctx, b); err != nil {
			t.Fatal(err)
		}
		claim := withKeys(t, identity.CredentialsWebAuthn, k)
		claim.ID, claim.Version, claim.Credentials[identity.CredentialsWebAuthn] = b.ID, b.Version,
			withCred(b.Credentials[identity.CredentialsWebAuthn], claim.Credentials[identity.CredentialsWebAuthn].Config)
		wantKeyTaken(t, "update claiming a taken id", s.UpdateIdentity(ctx, claim))

		// The owner's own updates keep its ids.
		got, err := s.GetIdentity(ctx, a.ID, true)
		if err != nil {
			t.Fatal(err)
		}
		got.Traits = json.RawMessage(`{"changed":true}`)
		if err := s.UpdateIdentity(ctx, got); err != nil {
			t.Fatalf("owner update: %v", err)
		}
		wantKeyTaken(t, "after the owner's update", s.CreateIdentity(ctx, withKeys(t, identity.CredentialsWebAuthn, k)))

		// Deleting the owner frees the id.
		if err := s.DeleteIdentity(ctx, a.ID); err != nil {
			t.Fatal(err)
		}
		fresh, err := s.GetIdentity(ctx, b.ID, true)
		if err != nil {
			t.Fatal(err)
		}
		fresh.Credentials[identity.CredentialsWebAuthn] = withCred(fresh.Credentials[identity.CredentialsWebAuthn], claim.Credentials[identity.CredentialsWebAuthn].Config)
		if err := s.UpdateIdentity(ctx, fresh); err != nil {
			t.Fatalf("claim a freed id: %v", err)
		}

		// 100 identities race for one new id: exactly one gets it.
		race := newKeyID(t)
		var wg sync.WaitGroup
		var mu sync.Mutex
		won, taken := 0, 0
		for range 100 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				err := s.CreateIdentity(ctx, withKeys(t, identity.CredentialsPasskey, race))
				mu.Lock()
				defer mu.Unlock()
				switch {
				case err == nil:
					won++
				case errors.Is(err, identity.ErrKeyTaken):
					taken++
				default:
					t.Errorf("racing create: %v", err)
				}
			}()
		}
		wg.Wait()
		if won != 1 || taken != 99 {
			t.Fatalf("racing creates: %d won, %d refused as taken; want 1 and 99", won, taken)
		}

		// Migration 0006 indexes keys stored before it: empty the index, run its backfill.
		if _, err := s.wdb.ExecContext(ctx, "DELETE FROM identity_credential_keys"); err != nil {
			t.Fatal(err)
		}
		all, err := migrations.For(s.d.name)
		if err != nil {
			t.Fatal(err)
		}
		var backfill string
		for _, m := range all {
			if strings.HasPrefix(m.Name, "0006_") {
				backfill = m.Statements[len(m.Statements)-1]
			}
		}
		if !strings.Contains(backfill, "INSERT") {
			t.Fatalf("no backfill statement in migration 0006: %q", backfill)
		}
		if _, err := s.wdb.ExecContext(ctx, backfill); err != nil {
			t.Fatalf("backfill: %v", err)
		}
		var n int
		if err := s.wdb.QueryRowContext(ctx, "SELECT COUNT(*) FROM identity_credential_keys").Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n != 2 { // b's key k and the race winner's
			t.Fatalf("backfill indexed %d keys, want 2", n)
		}
		wantKeyTaken(t, "after the backfill", s.CreateIdentity(ctx, withKeys(t, identity.CredentialsPasskey, k)))
		wantKeyTaken(t, "race id after the backfill", s.CreateIdentity(ctx, withKeys(t, identity.CredentialsWebAuthn, race)))
	})
}

func withCred(c identity.Credentials, config json.RawMessage) identity.Credentials {
	c.Config = config
	return c
}
