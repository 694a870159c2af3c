package schema_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/portico-auth/portico/internal/apptest"
	"github.com/portico-auth/portico/internal/schema"
)

func TestNormalizeValue(t *testing.T) {
	cases := []struct {
		in    string
		email bool
		want  string
	}{
		{"a@example.com", true, "a@example.com"},
		{"a@example.com.", true, "a@example.com"},
		{"A@Example.COM..", true, "a@example.com"},
		{"  a@example.com \t", true, "a@example.com"},
		{"ａ@ｅxample.com", true, "a@example.com"},                  // full-width letters
		{"rene\u0301@example.com", true, "ren\u00e9@example.com"}, // decomposed é
		{"René.Dupont", false, "René.Dupont"},                     // a user name keeps its case
		{"someone@example.org.", false, "someone@example.org"},    // shaped like an address
	}
	for _, c := range cases {
		if got := schema.NormalizeValue(c.in, c.email); got != c.want {
			t.Errorf("NormalizeValue(%q, %v) = %q, want %q", c.in, c.email, got, c.want)
		}
	}
}

// TestEmailVariantsAreOneIdentity: once a@example.com exists, its spellings (a trailing dot,
// upper case) cannot make a second identity, neither
// through sign-up nor through the admin API; and the owner can sign in with a variant. Before,
// "a@example.com." was a different identity.
func TestEmailVariantsAreOneIdentity(t *testing.T) {
	srv := apptest.Start(t)
	const pw = "Vq7-unlisted-Passphrase"
	srv.RegisterNative(t, "a@example.com", pw)

	// (Full-width letters are refused by the e-mail format before they get this far.)
	variants := []string{"a@example.com.", "A@EXAMPLE.COM.", "a@Example.com"}
	for _, v := range variants {
		t.Run("sign-up "+v, func(t *testing.T) {
			app := srv.Native(t)
			var flow struct{ ID string }
			app.Get(srv.PublicURL("/self-service/registration/api")).JSON(t, &flow)
			r := app.PostJSON(srv.PublicURL("/self-service/registration?flow="+flow.ID), map[string]any{
				"method": "password", "password": pw,
				"traits": map[string]any{"email": v, "name": map[string]any{"first": "Eve"}},
			})
			if r.StatusCode != http.StatusBadRequest || !strings.Contains(string(r.Body), `"id":4000007`) {
				t.Fatalf("status %d, want 400 with 4000007 (exists already): %s", r.StatusCode, r.Body)
			}
		})
		t.Run("admin "+v, func(t *testing.T) {
			r := srv.Native(t).PostJSON(srv.AdminURL("/admin/identities"), map[string]any{
				"schema_id": "default", "traits": map[string]any{"email": v, "name": map[string]any{"first": "Eve"}},
			})
			if r.StatusCode != http.StatusConflict {
				t.Fatalf("status %d, want 409: %s", r.StatusCode, r.Body)
			}
		})
	}
	var list []map[string]any
	srv.Native(t).Get(srv.AdminURL("/admin/identities")).JSON(t, &list)
	if len(list) != 1 {
		t.Fatalf("%d identities, want 1", len(list))
	}
	if tok := srv.LoginNative(t, "A@example.com.", pw); tok == "" {
		t.Fatal("no session for a variant of the identifier")
	}
}
