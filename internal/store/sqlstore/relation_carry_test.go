package sqlstore

import (
	"encoding/json"
	"reflect"
	"testing"
	"time"

	"github.com/portico-auth/portico/internal/identity"
	"github.com/portico-auth/portico/internal/session"
	"github.com/portico-auth/portico/internal/store"
)

// TestRelationsCarriedOverTraitsUpdate checks that an identity update that writes no relation
// row (a profile update: traits only, Stored given) leaves the remembered relations valid for
// the new version, so the next session read runs the session row query only and still loads
// exactly what the tables hold; and that an update that writes a credential does not.
func TestRelationsCarriedOverTraitsUpdate(t *testing.T) {
	eachBackend(t, func(t *testing.T, s *Store) {
		ctx := t.Context()
		id := &identity.Identity{
			SchemaID: "default",
			Traits:   json.RawMessage(`{"email":"c@example.com"}`),
			Credentials: map[identity.CredentialsType]identity.Credentials{
				identity.CredentialsPassword: {Identifiers: []string{"c@example.com"},
					Config: json.RawMessage(`{"hashed_password":"$argon2id$x"}`)},
			},
			VerifiableAddresses: []identity.VerifiableAddress{{Value: "c@example.com", Via: "email", Status: "pending"}},
			RecoveryAddresses:   []identity.RecoveryAddress{{Value: "c@example.com", Via: "email"}},
		}
		if err := s.CreateIdentity(ctx, id); err != nil {
			t.Fatal(err)
		}
		tok := []byte("carry-token")
		ss := &session.Session{Active: true, IdentityID: id.ID, TokenHash: tok, AAL: session.AAL1,
			ExpiresAt: time.Now().Add(time.Hour)}
		if err := s.CreateSession(ctx, ss); err != nil {
			t.Fatal(err)
		}
		// read returns the session's identity and whether the read loaded the relations.
		read := func() (*identity.Identity, bool) {
			t.Helper()
			loaded := false
			s.record = func(query string, _ []any) {
				if query == s.d.rebind(s.qRelations) || query == s.d.rebind(s.qSessionByToken) {
					loaded = true
				}
			}
			defer func() { s.record = nil }()
			got, err := s.GetSessionByToken(ctx, tok)
			if err != nil {
				t.Fatal(err)
			}
			return got.Identity, loaded
		}
		check := func(step string, wantLoaded bool) *identity.Identity {
			t.Helper()
			got, loaded := read()
			if loaded != wantLoaded {
				t.Errorf("%s: relations loaded %v, want %v", step, loaded, wantLoaded)
			}
			if want := tableRead(t, s, id.ID); !reflect.DeepEqual(got, want) {
				a, _ := json.Marshal(got)
				b, _ := json.Marshal(want)
				t.Errorf("%s: identity differs:\n got %s\nwant %s", step, a, b)
			}
			return got
		}
		cur := check("first read", true)
		check("second read", false)

		// Traits only, with the stored identity: no relation row is read or written.
		next := *cur
		stored := *cur
		next.Traits = json.RawMessage(`{"email":"c@example.com","name":"new"}`)
		if err := s.UpdateIdentityWith(ctx, &next, store.IdentityWrites{Stored: &stored}); err != nil {
			t.Fatal(err)
		}
		cur = check("after a traits update", false)
		if string(cur.Traits) == string(stored.Traits) || cur.Version != stored.Version+1 {
			t.Errorf("after a traits update: traits %s version %d (was %d)", cur.Traits, cur.Version, stored.Version)
		}

		// Without the stored identity the update reads the relations in its transaction:
		// nothing is carried over (the next read loads them).
		next = *cur
		next.Traits = json.RawMessage(`{"email":"c@example.com","name":"newer"}`)
		if err := s.UpdateIdentity(ctx, &next); err != nil {
			t.Fatal(err)
		}
		cur = check("after an update without Stored", true)

		// A credential written: the relations changed, the next read loads them.
		next = *cur
		stored = *cur
		next.Credentials = identity.CloneCredentials(cur.Credentials)
		pw := next.Credentials[identity.CredentialsPassword]
		pw.Config = json.RawMessage(`{"hashed_password":"$argon2id$y"}`)
		next.Credentials[identity.CredentialsPassword] = pw
		if err := s.UpdateIdentityWith(ctx, &next, store.IdentityWrites{Stored: &stored}); err != nil {
			t.Fatal(err)
		}
		cur = check("after a credential update", true)
		if c := cur.Credentials[identity.CredentialsPassword]; !json.Valid(c.Config) || string(c.Config) == `{"hashed_password":"$argon2id$x"}` {
			t.Errorf("after a credential update: config %s", c.Config)
		}
	})
}
