package settings_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"testing"
)

// TestShownIdentityFollowsChanges: the identity a created or read flow shows is the identity
// as stored now, also after its JSON was remembered: an admin change of the traits and of
// the public metadata shows in the next created flow and in a flow read again.
func TestShownIdentityFollowsChanges(t *testing.T) {
	fx := newFixture(t)
	c := fx.spa(t)
	first := fx.newBrowserFlow(t, c)
	fx.newBrowserFlow(t, c) // the same version shown twice
	if r := c.Get(fx.url("/self-service/settings/flows?id=" + first.ID)); r.StatusCode != http.StatusOK {
		t.Fatalf("get: %d %s", r.StatusCode, r.Body)
	}
	patch, _ := json.Marshal([]map[string]any{
		{"op": "replace", "path": "/traits/name/first", "value": "Grace"},
		{"op": "add", "path": "/metadata_public", "value": map[string]any{"plan": "gold"}},
	})
	r := c.Do(http.MethodPatch, fx.s.AdminURL("/admin/identities/"+fx.ident.ID.String()), bytes.NewReader(patch),
		http.Header{"Content-Type": {"application/json"}})
	wantStatus(t, r, http.StatusOK)

	type shown struct {
		Traits struct {
			Name struct{ First string } `json:"name"`
		} `json:"traits"`
		MetadataPublic map[string]any `json:"metadata_public"`
	}
	check := func(what string, raw json.RawMessage) {
		t.Helper()
		var s shown
		if err := json.Unmarshal(raw, &s); err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		if s.Traits.Name.First != "Grace" || s.MetadataPublic["plan"] != "gold" {
			t.Errorf("%s shows the identity before the change: %s", what, raw)
		}
	}
	check("a new flow", fx.newBrowserFlow(t, c).Identity)
	r = c.Get(fx.url("/self-service/settings/flows?id=" + first.ID))
	wantStatus(t, r, http.StatusOK)
	check("a flow read again", decodeFlow(t, r).Identity)
}
