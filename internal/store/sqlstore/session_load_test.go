package sqlstore

import (
	"encoding/json"
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/portico-auth/portico/internal/identity"
	"github.com/portico-auth/portico/internal/session"
)

// TestSessionLoadMatchesIdentityRead checks that the one-query session read, and
// GetIdentity(…, true) through the relation cache, load exactly the identity its tables hold
// (tableRead): credentials with configs and identifiers in
// position order, both address kinds in order, empty collections not nil.
func TestSessionLoadMatchesIdentityRead(t *testing.T) {
	eachBackend(t, func(t *testing.T, s *Store) {
		ctx := t.Context()
		verifiedAt := time.Date(2026, 1, 2, 3, 4, 5, 678901000, time.UTC)
		rich := &identity.Identity{
			SchemaID: "default",
			Traits:   json.RawMessage(`{"email":"m@example.com"}`),
			Credentials: map[identity.CredentialsType]identity.Credentials{
				identity.CredentialsPassword: {Identifiers: []string{"m@example.com", "b@example.com", "z@example.com"},
					Config: json.RawMessage(`{"hashed_password":"$argon2id$x"}`), Version: 2},
				"totp":     {Identifiers: []string{}, Config: json.RawMessage(`{"totp_url":"otpauth://x"}`)},
				"webauthn": {Identifiers: []string{"wa-" + uuid.NewString()}, Config: json.RawMessage(`{"credentials":[]}`)},
			},
			VerifiableAddresses: []identity.VerifiableAddress{
				{Value: "m@example.com", Via: "email", Status: "pending"},
				{Value: "b@example.com", Via: "email", Status: "completed", Verified: true, VerifiedAt: &verifiedAt},
				{Value: "+15550100", Via: "sms", Status: "pending"},
			},
			RecoveryAddresses: []identity.RecoveryAddress{
				{Value: "z@example.com", Via: "email"}, {Value: "a@example.com", Via: "email"},
			},
			MetadataPublic: json.RawMessage(`{"plan":"free"}`),
			MetadataAdmin:  json.RawMessage(`{"note":"x"}`),
		}
		bare := &identity.Identity{SchemaID: "default", Traits: json.RawMessage(`{"email":"bare@example.com"}`)}
		for i, id := range []*identity.Identity{rich, bare} {
			if err := s.CreateIdentity(ctx, id); err != nil {
				t.Fatal(err)
			}
			tok := []byte{byte(i), 1, 2, 3}
			now := time.Now()
			ss := &session.Session{Active: true, IdentityID: id.ID, TokenHash: tok, AAL: session.AAL1,
				ExpiresAt: now.Add(time.Hour)}
			if err := s.CreateSession(ctx, ss); err != nil {
				t.Fatal(err)
			}
			want := tableRead(t, s, id.ID)
			// GetIdentity with credentials reads through the same cache: the relations
			// read in one statement (a miss), then remembered (a hit).
			var reads []*identity.Identity
			for range 2 {
				got, err := s.GetIdentity(ctx, id.ID, true)
				if err != nil {
					t.Fatal(err)
				}
				reads = append(reads, got)
			}
			for j, got := range reads {
				if !reflect.DeepEqual(got, want) {
					a, _ := json.Marshal(got)
					b, _ := json.Marshal(want)
					t.Errorf("GetIdentity %d of identity %d differs:\n got %s\nwant %s", j, i, a, b)
				}
			}
			byToken, err := s.GetSessionByToken(ctx, tok)
			if err != nil {
				t.Fatal(err)
			}
			byID, err := s.GetSession(ctx, ss.ID)
			if err != nil {
				t.Fatal(err)
			}
			// The one-statement read a session read falls back on when the identity changed
			// between its two statements.
			full, err := s.loadSession(ctx, s.qSessionByToken, tok)
			if err != nil {
				t.Fatal(err)
			}
			for _, got := range []*session.Session{byToken, byID, full} {
				if got.ID != ss.ID || got.IdentityID != id.ID {
					t.Errorf("session = %+v", got)
				}
				if !reflect.DeepEqual(got.Identity, want) {
					a, _ := json.Marshal(got.Identity)
					b, _ := json.Marshal(want)
					t.Errorf("identity %d differs:\n got %s\nwant %s", i, a, b)
				}
			}
		}
		// Relations read for a version the identity row no longer has are refused.
		stale := *rich
		stale.Version--
		stale.Credentials, stale.VerifiableAddresses, stale.RecoveryAddresses = map[identity.CredentialsType]identity.Credentials{}, nil, nil
		if same, err := s.loadRelationsOf(ctx, &stale); err != nil || same {
			t.Errorf("relations for a stale version: same %v, err %v", same, err)
		}
		if p := byTokenIdentifiers(t, s, []byte{0, 1, 2, 3}); !reflect.DeepEqual(p, []string{"m@example.com", "b@example.com", "z@example.com"}) {
			t.Errorf("password identifiers = %v (want position order)", p)
		}
	})
}

// tableRead reads an identity as GetIdentity did before it used the relation cache: its row,
// then its credentials (with configs) and each kind of address by statements of their own.
func tableRead(t *testing.T, s *Store, id uuid.UUID) *identity.Identity {
	t.Helper()
	got, err := scanIdentity(s.reader().row(t.Context(), "SELECT "+identityCols+" FROM identities i WHERE i.id = ?", id))
	if err != nil {
		t.Fatal(err)
	}
	if err := s.loadRelations(t.Context(), s.reader(), []*identity.Identity{got}, true); err != nil {
		t.Fatal(err)
	}
	return got
}

func byTokenIdentifiers(t *testing.T, s *Store, tok []byte) []string {
	t.Helper()
	ss, err := s.GetSessionByToken(t.Context(), tok)
	if err != nil {
		t.Fatal(err)
	}
	return ss.Identity.Credentials[identity.CredentialsPassword].Identifiers
}

// TestIdentityCacheSize checks that session reads remember at most SetIdentityCacheSize
// identities, and none with 0, while every read still returns the identity's relations.
func TestIdentityCacheSize(t *testing.T) {
	for _, size := range []int{0, 2} {
		s := openMigrated(t, "memory")
		s.SetIdentityCacheSize(size)
		ctx := t.Context()
		for i := range 5 {
			id := &identity.Identity{SchemaID: "default", Traits: json.RawMessage(`{}`),
				VerifiableAddresses: []identity.VerifiableAddress{{Value: fmt.Sprintf("v%d@example.com", i), Via: "email", Status: "pending"}}}
			if err := s.CreateIdentity(ctx, id); err != nil {
				t.Fatal(err)
			}
			tok := []byte{byte(i), 9}
			if err := s.CreateSession(ctx, &session.Session{Active: true, IdentityID: id.ID, TokenHash: tok, AAL: session.AAL1,
				ExpiresAt: time.Now().Add(time.Hour)}); err != nil {
				t.Fatal(err)
			}
			for range 2 {
				ss, err := s.GetSessionByToken(ctx, tok)
				if err != nil {
					t.Fatal(err)
				}
				if len(ss.Identity.VerifiableAddresses) != 1 {
					t.Fatalf("size %d: addresses %+v", size, ss.Identity.VerifiableAddresses)
				}
			}
		}
		if n := s.rels.len(); n != size {
			t.Errorf("size %d: %d identities remembered", size, n)
		}
	}
}
