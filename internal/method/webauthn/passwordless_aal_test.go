package webauthn_test

import (
	"net/http"
	"testing"

	"github.com/portico-auth/portico/internal/apptest"
	"github.com/portico-auth/portico/internal/apptest/mfatest"
	"github.com/portico-auth/portico/internal/method/webauthn/webauthntest"
)

// TestPasswordlessKeyDemandsNoAAL2 is issue 19 finding 2 for WebAuthn: with
// webauthn.config.passwordless on there is no WebAuthn second-factor login, so a key added
// in settings is no second factor, and the owner's aal1 sessions keep working for whoami and
// settings instead of being sent to an aal2 login that offers nothing.
func TestPasswordlessKeyDemandsNoAAL2(t *testing.T) {
	s := start(t, apptest.WithEnv("SELFSERVICE_METHODS_WEBAUTHN_CONFIG_PASSWORDLESS", "true"))
	ident := s.CreateIdentity(t, "pwless@example.com", password)
	p := mfatest.SignIn(t, s, "spa", ident)
	_, f := p.Start("settings", "")
	trig := mfatest.Node(f, "webauthn", "webauthn_register_trigger")
	if trig == nil {
		t.Fatalf("no webauthn_register_trigger: %s", mfatest.Names(f))
	}
	a := &webauthntest.Authenticator{Origin: origin, UV: true}
	resp, _, err := a.Create(mfatest.Str(trig, "attributes", "value"), "")
	if err != nil {
		t.Fatal(err)
	}
	r, done := p.Submit("settings", f, map[string]any{"method": "webauthn", "webauthn_register": string(resp), "webauthn_register_displayname": "Key"})
	if mfatest.Str(done, "state") != "success" {
		t.Fatalf("enrol: %d %s", r.StatusCode, r.Body)
	}

	q := mfatest.SignIn(t, s, "spa", ident) // a new aal1 (password) session
	if w := q.Whoami(); w.StatusCode != http.StatusOK {
		t.Fatalf("whoami of an aal1 session after adding a passwordless key: %d %s", w.StatusCode, w.Body)
	}
	if r, _ := q.Start("settings", ""); r.StatusCode != http.StatusOK {
		t.Fatalf("settings of an aal1 session after adding a passwordless key: %d %s", r.StatusCode, r.Body)
	}
	if r, _ := q.Start("login", "aal=aal2"); r.StatusCode != http.StatusBadRequest {
		t.Fatalf("aal2 login offered without a usable second factor: %d %s", r.StatusCode, r.Body)
	}
}
