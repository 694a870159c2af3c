package sqlstore

import (
	"encoding/json"
	"testing"

	"github.com/portico-auth/portico/internal/identity"
)

// TestFindByIdentifierRoundTrips counts the statements a sign-in's lookup of the identity by
// its identifier runs: the identity row and its relations in one more statement the first
// time, the row alone once its relations are remembered for its version, and again both
// after a change moved the version on (every statement is a round trip on PostgreSQL and
// MySQL). Before the lookup used the relation cache it ran four each time.
func TestFindByIdentifierRoundTrips(t *testing.T) {
	s := openMigrated(t, "memory")
	ctx := t.Context()
	id := &identity.Identity{SchemaID: "default", Traits: json.RawMessage(`{"email":"rt@example.com"}`),
		Credentials: map[identity.CredentialsType]identity.Credentials{
			identity.CredentialsPassword: {Identifiers: []string{"rt@example.com"}, Config: json.RawMessage(`{"hashed_password":"$2a$04$x"}`)},
		},
		VerifiableAddresses: []identity.VerifiableAddress{{Value: "rt@example.com", Via: "email", Status: "pending"}},
		RecoveryAddresses:   []identity.RecoveryAddress{{Value: "rt@example.com", Via: "email"}},
	}
	if err := s.CreateIdentity(ctx, id); err != nil {
		t.Fatal(err)
	}
	var n int
	s.record = func(string, []any) { n++ }
	t.Cleanup(func() { s.record = nil })
	find := func(want int, what string) {
		t.Helper()
		n = 0
		got, err := s.FindByCredentialsIdentifier(ctx, identity.CredentialsPassword, "rt@example.com")
		if err != nil {
			t.Fatal(err)
		}
		if n != want {
			t.Errorf("%s: %d statements, want %d", what, n, want)
		}
		if cfg := got.Credentials[identity.CredentialsPassword].Config; len(cfg) == 0 || len(got.VerifiableAddresses) != 1 || len(got.RecoveryAddresses) != 1 {
			t.Errorf("%s: relations not loaded: %+v", what, got)
		}
	}
	find(2, "first lookup")
	find(1, "remembered")
	changed, err := s.GetIdentity(ctx, id.ID, true)
	if err != nil {
		t.Fatal(err)
	}
	changed.Traits = json.RawMessage(`{"email":"rt@example.com","name":"x"}`)
	if err := s.UpdateIdentity(ctx, changed); err != nil {
		t.Fatal(err)
	}
	find(2, "after a change")
	find(1, "remembered again")
}
