package webauthn

import (
	"encoding/base64"
	"encoding/json"
	"testing"

	"github.com/google/uuid"

	"github.com/portico-auth/portico/internal/identity"
	"github.com/portico-auth/portico/internal/schema"
)

// TestNameMemoFollowsTheVersion: the remembered names are those of the identity's version;
// a new version (changed traits) is read again, and an unstored identity is never remembered.
func TestNameMemoFollowsTheVersion(t *testing.T) {
	const doc = `{"type":"object","properties":{"traits":{"type":"object","properties":{
		"email":{"type":"string","ory.sh/kratos":{"credentials":{"webauthn":{"identifier":true}}}}}}}}`
	schemas, err := schema.NewRegistry(t.Context(), []schema.Source{{ID: "default", URL: "base64://" + base64.StdEncoding.EncodeToString([]byte(doc))}}, "default", nil)
	if err != nil {
		t.Fatal(err)
	}
	var memo nameMemo
	id := &identity.Identity{ID: uuid.New(), SchemaID: "default", Version: 1, Traits: json.RawMessage(`{"email":"a@example.com"}`)}
	if name, _ := memo.names(schemas, id); name != "a@example.com" {
		t.Fatalf("name %q", name)
	}
	id.Version, id.Traits = 2, json.RawMessage(`{"email":"b@example.com"}`)
	if name, _ := memo.names(schemas, id); name != "b@example.com" {
		t.Fatalf("after a change: name %q", name)
	}
	fresh := &identity.Identity{ID: uuid.New(), SchemaID: "default", Traits: json.RawMessage(`{"email":"c@example.com"}`)}
	before := memo.Len()
	memo.names(schemas, fresh)
	if memo.Len() != before {
		t.Error("an unstored identity was remembered")
	}
	for range nameMemoMax + 10 {
		memo.names(schemas, &identity.Identity{ID: uuid.New(), SchemaID: "default", Version: 1, Traits: json.RawMessage(`{"email":"d@example.com"}`)})
	}
	if memo.Len() > nameMemoMax {
		t.Errorf("%d names remembered, at most %d", memo.Len(), nameMemoMax)
	}
}
