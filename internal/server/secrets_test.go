package server_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/portico-auth/portico/internal/apptest"
)

// TestRepliesNeverCarryCredentialSecrets: sessions are read with their identity's credential
// configs (password hashes, TOTP secrets) so that methods need no second read; no reply that
// shows a session or an identity may carry them.
func TestRepliesNeverCarryCredentialSecrets(t *testing.T) {
	s := apptest.Start(t, apptest.WithEnv("SELFSERVICE_METHODS_TOTP_ENABLED", "true"))
	email, pw := "secret-keeper@example.com", "a long and private passphrase"
	ident := s.CreateIdentity(t, email, pw)
	token := s.LoginNative(t, email, pw)
	app := s.Native(t)
	app.Header.Set("X-Session-Token", token)
	browser := s.Browser(t)
	s.LoginBrowser(t, browser, email, pw)
	browser.Header.Set("Accept", "application/json")

	var sessionID string
	who := app.Get(s.PublicURL("/sessions/whoami"))
	if who.StatusCode != http.StatusOK {
		t.Fatalf("whoami: %d %s", who.StatusCode, who.Body)
	}
	sessionID, _ = who.Map(t)["id"].(string)

	replies := map[string]*apptest.Response{
		"whoami":                  who,
		"whoami (cookie)":         browser.Get(s.PublicURL("/sessions/whoami")),
		"settings api":            app.Get(s.PublicURL("/self-service/settings/api")),
		"settings browser":        browser.Get(s.PublicURL("/self-service/settings/browser")),
		"login refresh":           app.Get(s.PublicURL("/self-service/login/api?refresh=true")),
		"my sessions":             app.Get(s.PublicURL("/sessions")),
		"admin session":           app.Get(s.AdminURL("/admin/sessions/" + sessionID + "?expand=identity")),
		"admin sessions":          app.Get(s.AdminURL("/admin/sessions?expand=identity")),
		"admin identity":          app.Get(s.AdminURL("/admin/identities/" + ident.ID.String())),
		"admin identity sessions": app.Get(s.AdminURL("/admin/identities/" + ident.ID.String() + "/sessions")),
	}
	for name, r := range replies {
		if r.StatusCode >= 300 {
			t.Errorf("%s: status %d %s", name, r.StatusCode, r.Body)
			continue
		}
		if cc := r.Header.Get("Cache-Control"); !strings.Contains(cc, "no-store") {
			t.Errorf("%s: Cache-Control %q, want no-store", name, cc)
		}
		body := string(r.Body)
		for _, secret := range []string{"hashed_password", "$2a$", "$argon2", "totp_url", "otpauth://"} {
			if strings.Contains(body, secret) {
				t.Errorf("%s carries %q: %s", name, secret, body)
			}
		}
	}
}
