package identity

import (
	"encoding/json"
	"reflect"
	"testing"
	"time"

	"github.com/google/uuid"
)

// TestCloneSharesNothing changes every changeable part of a clone in place and checks that the
// original did not move, and that an untouched clone equals the original.
func TestCloneSharesNothing(t *testing.T) {
	at := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	org := uuid.New()
	orig := &Identity{
		ID: uuid.New(), Traits: json.RawMessage(`{"email":"a@example.com"}`),
		MetadataPublic: json.RawMessage(`{"p":1}`), MetadataAdmin: json.RawMessage(`{"a":1}`),
		StateChangedAt: &at, OrganizationID: &org,
		Credentials: map[CredentialsType]Credentials{
			CredentialsPassword: {Identifiers: []string{"a@example.com"}, Config: json.RawMessage(`{"hashed_password":"x"}`)},
		},
		VerifiableAddresses: []VerifiableAddress{{Value: "a@example.com", VerifiedAt: &at}},
		RecoveryAddresses:   []RecoveryAddress{{Value: "a@example.com"}},
	}
	want, _ := json.Marshal(orig)
	c := orig.Clone()
	if !reflect.DeepEqual(c, orig) {
		t.Fatalf("clone differs:\n%+v\n%+v", c, orig)
	}
	c.Traits[2] = 'X'
	c.MetadataPublic[2] = 'X'
	c.MetadataAdmin[2] = 'X'
	*c.StateChangedAt = at.Add(time.Hour)
	*c.OrganizationID = uuid.New()
	pw := c.Credentials[CredentialsPassword]
	pw.Identifiers[0] = "b@example.com"
	pw.Config[2] = 'X'
	c.Credentials["totp"] = Credentials{}
	c.VerifiableAddresses[0].Value = "b@example.com"
	*c.VerifiableAddresses[0].VerifiedAt = at.Add(time.Hour)
	c.RecoveryAddresses[0].Value = "b@example.com"
	if got, _ := json.Marshal(orig); string(got) != string(want) || len(orig.Credentials) != 1 {
		t.Fatalf("changing the clone changed the original:\n got %s\nwant %s", got, want)
	}
	if (*Identity)(nil).Clone() != nil {
		t.Fatal("nil clones to non-nil")
	}
}
