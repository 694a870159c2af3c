package passkey_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/portico-auth/portico/internal/apptest/mfatest"
	"github.com/portico-auth/portico/internal/identity"
	"github.com/portico-auth/portico/internal/method/webauthn"
	"github.com/portico-auth/portico/internal/method/webauthn/webauthntest"
)

// TestCredentialIDsUnique: a credential id registered to one identity cannot be registered
// again, not to another identity as a passkey (settings or sign-up), nor as a WebAuthn key
// (WebAuthn section 7.1). The refusal is a 400 flow message; a fresh id is accepted. Before,
// every one of these was stored, so one authenticator answer named two accounts.
func TestCredentialIDsUnique(t *testing.T) {
	s := start(t)
	owner := s.CreateIdentity(t, "owner@example.com", password)
	enrol(t, mfatest.SignIn(t, s, "spa", owner), &webauthntest.Authenticator{Origin: origin, UV: true}, "passkey_settings_register")
	stored, err := s.App.Store.GetIdentity(t.Context(), owner.ID, true)
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := webauthn.ReadConfig(stored, identity.CredentialsPasskey)
	if err != nil || len(cfg.Credentials) != 1 {
		t.Fatalf("owner's passkey: %v %+v", err, cfg)
	}
	taken := cfg.Credentials[0].ID

	other := s.CreateIdentity(t, "other@example.com", password)
	p := mfatest.SignIn(t, s, "spa", other)
	settingsAdd := func(method, field, trigger string, id []byte) (int, map[string]any) {
		_, f := p.Start("settings", "")
		a := &webauthntest.Authenticator{Origin: origin, UV: true, NextID: id}
		resp, _, err := a.Create(mfatest.Str(mfatest.Node(f, method, trigger), "attributes", "value"), "")
		if err != nil {
			t.Fatal(err)
		}
		r, done := p.Submit("settings", f, map[string]any{"method": method, field: string(resp)})
		return r.StatusCode, done
	}
	for _, tc := range []struct{ method, field, trigger string }{
		{"passkey", "passkey_settings_register", "passkey_register_trigger"},
		{"webauthn", "webauthn_register", "webauthn_register_trigger"},
	} {
		t.Run("settings "+tc.method, func(t *testing.T) {
			code, done := settingsAdd(tc.method, tc.field, tc.trigger, append([]byte{}, taken...))
			if code != http.StatusBadRequest || mfatest.Str(done, "state") == "success" ||
				!strings.Contains(mfatest.MessageTexts(done), "already registered") {
				t.Fatalf("taken id: %d %v", code, mfatest.MessageTexts(done))
			}
			got, err := s.App.Store.GetIdentity(t.Context(), other.ID, true)
			if err != nil {
				t.Fatal(err)
			}
			if got.HasCredentials(identity.CredentialsType(tc.method)) {
				t.Fatalf("%s key stored for the other identity", tc.method)
			}
		})
	}
	t.Run("sign-up", func(t *testing.T) {
		a := mfatest.Anonymous(t, s, "spa")
		_, f := a.Start("registration", "")
		auth := &webauthntest.Authenticator{Origin: origin, UV: true, NextID: append([]byte{}, taken...)}
		resp, _, err := auth.Create(registrationTrigger(t, f), "")
		if err != nil {
			t.Fatal(err)
		}
		r, bad := a.Submit("registration", f, signUpFields("spa", "thief@example.com", string(resp)))
		if r.StatusCode != http.StatusBadRequest || !strings.Contains(mfatest.MessageTexts(bad), "already registered") {
			t.Fatalf("sign-up with a taken id: %d %s", r.StatusCode, r.Body)
		}
		if list := s.Native(t).Get(s.AdminURL("/admin/identities")); strings.Contains(string(list.Body), "thief@example.com") {
			t.Fatal("identity created")
		}
	})
	t.Run("fresh id", func(t *testing.T) {
		if code, done := settingsAdd("passkey", "passkey_settings_register", "passkey_register_trigger", nil); mfatest.Str(done, "state") != "success" {
			t.Fatalf("fresh id: %d %v", code, mfatest.MessageTexts(done))
		}
	})
}
