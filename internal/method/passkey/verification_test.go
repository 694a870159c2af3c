package passkey_test

import (
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/portico-auth/portico/internal/apptest/mfatest"
	"github.com/portico-auth/portico/internal/method/webauthn/webauthntest"
	"github.com/portico-auth/portico/internal/text"
)

// TestUserVerificationRequired: a passkey is a whole sign-in, so an authenticator that only
// proves presence (UV=false) can neither sign up, nor add a passkey in settings, nor sign in
// with one. The options say userVerification "required". Before, every ceremony only
// preferred UV and the relying party accepted presence alone.
func TestUserVerificationRequired(t *testing.T) {
	s := start(t)
	const uvRequired = `"userVerification":"required"`

	t.Run("sign-up", func(t *testing.T) {
		p := mfatest.Anonymous(t, s, "spa")
		_, f := p.Start("registration", "")
		opts := registrationTrigger(t, f)
		if !strings.Contains(opts, uvRequired) {
			t.Errorf("creation options: %s", opts)
		}
		a := &webauthntest.Authenticator{Origin: origin, UV: false}
		resp, _, err := a.Create(opts, "")
		if err != nil {
			t.Fatal(err)
		}
		r, bad := p.Submit("registration", f, signUpFields("spa", "presence@example.com", string(resp)))
		if r.StatusCode != http.StatusBadRequest || !slices.Contains(mfatest.MessageIDs(bad), text.ErrorValidationGeneric) ||
			!strings.Contains(mfatest.MessageTexts(bad), "verify the user") {
			t.Fatalf("sign-up without UV: %d %s", r.StatusCode, r.Body)
		}
		if list := s.Native(t).Get(s.AdminURL("/admin/identities")); strings.Contains(string(list.Body), "presence@example.com") {
			t.Fatalf("identity created: %s", list.Body)
		}
	})

	t.Run("settings", func(t *testing.T) {
		ident := s.CreateIdentity(t, "settings-uv@example.com", password)
		p := mfatest.SignIn(t, s, "spa", ident)
		_, f := p.Start("settings", "")
		opts := mfatest.Str(mfatest.Node(f, "passkey", "passkey_register_trigger"), "attributes", "value")
		if !strings.Contains(opts, uvRequired) {
			t.Errorf("creation options: %s", opts)
		}
		a := &webauthntest.Authenticator{Origin: origin, UV: false}
		resp, _, err := a.Create(opts, "")
		if err != nil {
			t.Fatal(err)
		}
		r, done := p.Submit("settings", f, map[string]any{"method": "passkey", "passkey_settings_register": string(resp)})
		if mfatest.Str(done, "state") == "success" || !strings.Contains(mfatest.MessageTexts(done), "verify the user") {
			t.Fatalf("settings without UV: %d %s", r.StatusCode, r.Body)
		}
		stored, err := s.App.Store.GetIdentity(t.Context(), ident.ID, true)
		if err != nil {
			t.Fatal(err)
		}
		if stored.HasCredentials("passkey") {
			t.Fatal("passkey stored")
		}
	})

	t.Run("login", func(t *testing.T) {
		ident := s.CreateIdentity(t, "login-uv@example.com", password)
		a := &webauthntest.Authenticator{Origin: origin, UV: true}
		enrol(t, mfatest.SignIn(t, s, "spa", ident), a, "passkey_settings_register")

		a.UV = false // the same key, now answering with a touch only
		c := mfatest.Anonymous(t, s, "spa")
		_, lf := c.Start("login", "")
		opts := mfatest.Str(mfatest.Node(lf, "passkey", "passkey_login_trigger"), "attributes", "value")
		if !strings.Contains(opts, uvRequired) {
			t.Errorf("request options: %s", opts)
		}
		resp, err := a.Get(opts, "")
		if err != nil {
			t.Fatal(err)
		}
		r, bad := c.Submit("login", lf, map[string]any{"method": "passkey", "passkey_login": string(resp)})
		if r.StatusCode != http.StatusBadRequest || !slices.Contains(mfatest.MessageIDs(bad), text.ErrorValidationGeneric) {
			t.Fatalf("login without UV: %d %s", r.StatusCode, r.Body)
		}
		if who := c.JSONGet("/sessions/whoami"); who.StatusCode != http.StatusUnauthorized {
			t.Fatalf("whoami after refused login: %d %s", who.StatusCode, who.Body)
		}
		// With UV the same key signs in.
		a.UV = true
		_, lf = c.Start("login", "")
		opts = mfatest.Str(mfatest.Node(lf, "passkey", "passkey_login_trigger"), "attributes", "value")
		if resp, err = a.Get(opts, ""); err != nil {
			t.Fatal(err)
		}
		if r, _ := c.Submit("login", lf, map[string]any{"method": "passkey", "passkey_login": string(resp)}); r.StatusCode != http.StatusOK {
			t.Fatalf("login with UV: %d %s", r.StatusCode, r.Body)
		}
	})
}
