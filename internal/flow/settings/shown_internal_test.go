package settings

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/portico-auth/portico/internal/identity"
)

// TestShownMemo: a stored identity's version is encoded once and then taken from the memo; a
// new version or updated_at is encoded again, an unstored identity (version 0) or a large one
// is never remembered, and the memo stays bounded.
func TestShownMemo(t *testing.T) {
	var m shownMemo
	at := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	id := &identity.Identity{ID: uuid.New(), SchemaID: "default", Version: 2, UpdatedAt: at, Traits: json.RawMessage(`{"a":1}`)}
	one, err := m.encode(id, "http://localhost")
	if err != nil {
		t.Fatal(err)
	}
	two, _ := m.encode(id, "http://localhost")
	if &one[0] != &two[0] {
		t.Error("the same version was encoded again")
	}
	want, _ := json.Marshal(id.Public("http://localhost"))
	if string(two) != string(want) {
		t.Errorf("remembered %s, want %s", two, want)
	}
	id.Traits = json.RawMessage(`{"a":2}`)
	id.UpdatedAt = at.Add(time.Second)
	if got, _ := m.encode(id, "http://localhost"); string(got) == string(one) {
		t.Error("a new updated_at was shown as remembered")
	}
	id.Version = 3
	id.Traits = json.RawMessage(`{"a":3}`)
	if got, _ := m.encode(id, "http://localhost"); !json.Valid(got) || string(got) == string(one) {
		t.Errorf("a new version was shown as remembered: %s", got)
	}
	large := &identity.Identity{ID: uuid.New(), Version: 1, Traits: json.RawMessage(`{"a":"` + strings.Repeat("x", shownMemoMaxBytes) + `"}`)}
	if _, err := m.encode(large, "http://localhost"); err != nil {
		t.Fatal(err)
	}
	if _, ok := m.Get(large.ID, large.Version); ok {
		t.Error("an identity past shownMemoMaxBytes was remembered")
	}
	fresh := &identity.Identity{ID: uuid.New(), Traits: json.RawMessage(`{}`)}
	before := m.Len()
	if _, err := m.encode(fresh, "http://localhost"); err != nil {
		t.Fatal(err)
	}
	if m.Len() != before {
		t.Error("an unstored identity was remembered")
	}
	for range shownMemoMax + 10 {
		if _, err := m.encode(&identity.Identity{ID: uuid.New(), Version: 1, Traits: json.RawMessage(`{}`)}, "x"); err != nil {
			t.Fatal(err)
		}
	}
	if m.Len() > shownMemoMax {
		t.Errorf("%d identities remembered, at most %d", m.Len(), shownMemoMax)
	}
}
