package identity_test

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/portico-auth/portico/internal/identity"
)

// A schema whose email is a code identifier gives every identity the code credential, as
// Kratos's does: made with a password, then kept in step when the address changes.
func TestCodeCredentialFromSchema(t *testing.T) {
	const codeSchema = `{"type": "object", "properties": {"traits": {"type": "object", "properties": {
	  "email": {"type": "string", "format": "email", "ory.sh/kratos": {"credentials": {
	    "password": {"identifier": true}, "code": {"identifier": true, "via": "email"}}}}},
	  "required": ["email"]}}}`
	ctx := context.Background()
	m, st := newManagerFor(t, codeSchema)
	want := func(id *identity.Identity, address string) {
		t.Helper()
		got, err := st.GetIdentity(ctx, id.ID, true)
		if err != nil {
			t.Fatal(err)
		}
		c, ok := got.Credentials[identity.CredentialsCode]
		var cfg identity.CodeConfig
		_ = json.Unmarshal(c.Config, &cfg)
		if !ok || len(c.Identifiers) != 1 || c.Identifiers[0] != address || len(cfg.Addresses) != 1 ||
			cfg.Addresses[0] != (identity.CodeAddress{Channel: "email", Address: address}) {
			t.Fatalf("code credential = %+v (%s), want %s", c, c.Config, address)
		}
	}
	id := &identity.Identity{Traits: json.RawMessage(`{"email":"Pat@Example.com"}`)}
	if err := m.Create(ctx, id, identity.CreateOptions{Password: "a long password"}); err != nil {
		t.Fatal(err)
	}
	want(id, "pat@example.com")
	loaded, err := st.GetIdentity(ctx, id.ID, true)
	if err != nil {
		t.Fatal(err)
	}
	loaded.Traits = json.RawMessage(`{"email":"moved@example.com"}`)
	if err := m.Update(ctx, loaded); err != nil {
		t.Fatal(err)
	}
	want(id, "moved@example.com")
}
