package conformance

import (
	"testing"

	"github.com/portico-auth/portico/internal/apierr"
	"github.com/portico-auth/portico/internal/store"
)

// testIdentityExternalID: an external id is stored, loaded, changed and cleared with the
// identity; two identities never share one (on create or on update), while any number have
// none.
func testIdentityExternalID(t *testing.T, s store.Store) {
	a := newIdentity("ext-a@example.com")
	a.ExternalID = "legacy-1"
	must(t, s.CreateIdentity(ctx(t), a))
	got, err := s.GetIdentity(ctx(t), a.ID, false)
	must(t, err)
	if got.ExternalID != "legacy-1" {
		t.Fatalf("external id = %q, want legacy-1", got.ExternalID)
	}
	// Without one: no clash between identities that have none.
	create(t, s, "ext-b@example.com")
	c := create(t, s, "ext-c@example.com")

	dup := newIdentity("ext-d@example.com")
	dup.ExternalID = "legacy-1"
	err = s.CreateIdentity(ctx(t), dup)
	wantKind(t, err, apierr.ErrConflict)
	if r := reasonOf(err); r != "an identity with this external id already exists" {
		t.Errorf("reason = %q", r)
	}
	if n := countIdentities(t, s); n != 3 {
		t.Errorf("%d identities after a clashing create, want 3", n)
	}

	c.ExternalID = "legacy-1"
	wantKind(t, s.UpdateIdentity(ctx(t), c), apierr.ErrConflict)
	c.ExternalID = "legacy-3"
	must(t, s.UpdateIdentity(ctx(t), c))
	got, err = s.GetIdentity(ctx(t), c.ID, false)
	must(t, err)
	if got.ExternalID != "legacy-3" {
		t.Errorf("external id after update = %q, want legacy-3", got.ExternalID)
	}
	// Cleared, it frees the id for another identity.
	got.ExternalID = ""
	must(t, s.UpdateIdentity(ctx(t), got))
	again, err := s.GetIdentity(ctx(t), c.ID, false)
	must(t, err)
	if again.ExternalID != "" {
		t.Errorf("external id after clearing = %q", again.ExternalID)
	}
	dup.ExternalID = "legacy-3"
	must(t, s.CreateIdentity(ctx(t), dup))
}
