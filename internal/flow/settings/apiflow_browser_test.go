package settings_test

import (
	"net/http"
	"strings"
	"testing"
)

// TestUpdateAPIFlowFromBrowser: an API flow needs no CSRF token because no browser may submit
// it. A submission carrying cookies (a browser's ambient session) or an Origin header (a
// browser's script) is refused with 400 and changes nothing, as Kratos refuses it.
func TestUpdateAPIFlowFromBrowser(t *testing.T) {
	fx := newFixture(t)
	t.Run("cookie session", func(t *testing.T) {
		c := fx.spa(t)
		r := c.Get(fx.url("/self-service/settings/api"))
		wantStatus(t, r, http.StatusOK)
		f := decodeFlow(t, r)
		res := submit(fx, c, f, profileBody("a@example.com", "Mallory"))
		wantStatus(t, res, http.StatusBadRequest)
	})
	t.Run("origin header", func(t *testing.T) {
		f := fx.newAPIFlow(t)
		c := fx.native(t)
		c.Header.Set("Origin", "https://evil.example")
		res := submit(fx, c, f, profileBody("a@example.com", "Mallory"))
		wantStatus(t, res, http.StatusBadRequest)
	})
	if first := fx.storedIdentity(t).Traits; strings.Contains(string(first), "Mallory") {
		t.Fatalf("a refused submission changed the traits: %s", first)
	}
}
