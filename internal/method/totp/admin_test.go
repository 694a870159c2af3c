package totp_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/portico-auth/portico/internal/apptest"
	"github.com/portico-auth/portico/internal/apptest/mfatest"
)

// TestAdminCredentials lists the second factor on the admin API (secret only when asked for)
// and deletes it with deleteIdentityCredentials.
func TestAdminCredentials(t *testing.T) {
	s := start(t)
	ident := s.CreateIdentity(t, "admin@example.com", password)
	enrol(t, mfatest.SignIn(t, s, "native", ident))
	adm := s.Native(t)
	base := s.AdminURL("/admin/identities/" + ident.ID.String())

	got := adm.Get(base)
	totp, _ := got.Map(t)["credentials"].(map[string]any)["totp"].(map[string]any)
	if got.StatusCode != 200 || totp == nil || totp["config"] != nil || totp["type"] != "totp" {
		t.Fatalf("admin get: %d %s", got.StatusCode, got.Body)
	}
	if withSecret := adm.Get(base + "?include_credential=totp"); !strings.Contains(string(withSecret.Body), "otpauth://totp/") {
		t.Fatalf("include_credential=totp: %s", withSecret.Body)
	}

	del := func(path string) *apptest.Response {
		return adm.Do(http.MethodDelete, s.AdminURL(path), nil, nil)
	}
	for _, c := range []struct {
		path string
		want int
	}{
		// A type the identity does not hold is 404 before any rule about the type, as in Kratos.
		{"/admin/identities/" + ident.ID.String() + "/credentials/passkey", http.StatusNotFound},
		{"/admin/identities/" + ident.ID.String() + "/credentials/lookup_secret", http.StatusNotFound},
		{"/admin/identities/" + uuid.NewString() + "/credentials/totp", http.StatusNotFound},
		{"/admin/identities/not-a-uuid/credentials/totp", http.StatusNotFound},
		{"/admin/identities/" + ident.ID.String() + "/credentials/totp", http.StatusNoContent},
		{"/admin/identities/" + ident.ID.String() + "/credentials/totp", http.StatusNotFound},
	} {
		if res := del(c.path); res.StatusCode != c.want {
			t.Errorf("DELETE %s: %d, want %d: %s", c.path, res.StatusCode, c.want, res.Body)
		}
	}
	if w := mfatest.SignIn(t, s, "native", ident).Whoami(); w.StatusCode != http.StatusOK {
		t.Fatalf("aal1 whoami after the factor was deleted: %d %s", w.StatusCode, w.Body)
	}
	if got := adm.Get(base); strings.Contains(string(got.Body), `"totp"`) {
		t.Fatalf("totp still listed: %s", got.Body)
	}
}
