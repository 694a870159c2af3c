package passkey_test

import (
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/portico-auth/portico/internal/apptest"
	"github.com/portico-auth/portico/internal/apptest/mfatest"
	"github.com/portico-auth/portico/internal/identity"
	"github.com/portico-auth/portico/internal/method/webauthn"
	"github.com/portico-auth/portico/internal/method/webauthn/webauthntest"
	"github.com/portico-auth/portico/internal/session"
	"github.com/portico-auth/portico/internal/text"
)

const origin, rpID, password = mfatest.Origin, mfatest.RPID, mfatest.Password

var start = mfatest.StartWebAuthn

// signedIn starts a server and signs a new password identity in as kind ("browser" or "spa"),
// with an authenticator that verifies its user; field is where kind posts a new passkey.
func signedIn(t *testing.T, kind string) (*apptest.Server, *identity.Identity, *mfatest.Party, *webauthntest.Authenticator, string) {
	t.Helper()
	s := start(t)
	ident := s.CreateIdentity(t, kind+"@example.com", password)
	p := mfatest.SignIn(t, s, kind, ident)
	a := &webauthntest.Authenticator{Origin: origin, UV: true}
	field := map[string]string{"browser": "passkey_settings_register", "spa": "passkey_register"}[kind]
	return s, ident, p, a, field
}

// enrol registers a passkey for p's identity through the settings flow.
func enrol(t *testing.T, p *mfatest.Party, a *webauthntest.Authenticator, field string) map[string]any {
	t.Helper()
	_, f := p.Start("settings", "")
	trig := mfatest.Node(f, "passkey", "passkey_register_trigger")
	if trig == nil || mfatest.Str(trig, "attributes", "onclickTrigger") != "oryPasskeySettingsRegistration" {
		t.Fatalf("passkey trigger: %v in %s", trig, mfatest.Names(f))
	}
	if !strings.Contains(mfatest.Str(trig, "attributes", "value"), `"residentKey":"required"`) {
		t.Fatalf("creation options do not ask for a discoverable credential: %s", mfatest.Str(trig, "attributes", "value"))
	}
	resp, _, err := a.Create(mfatest.Str(trig, "attributes", "value"), "")
	if err != nil {
		t.Fatal(err)
	}
	r, done := p.Submit("settings", f, map[string]any{"method": "passkey", field: string(resp)})
	if mfatest.Str(done, "state") != "success" {
		t.Fatalf("enrol: %d %v %s", r.StatusCode, mfatest.MessageTexts(done), r.Body)
	}
	return done
}

// TestPasswordlessJourney enrols a passkey, then signs in with it alone (aal1), as a browser
// and as an SPA, then removes it.
func TestPasswordlessJourney(t *testing.T) {
	for _, kind := range []string{"browser", "spa"} {
		t.Run(kind, func(t *testing.T) {
			s, ident, p, a, field := signedIn(t, kind)
			done := enrol(t, p, a, field)
			rm := mfatest.Node(done, "passkey", "passkey_remove")
			if rm == nil || mfatest.Walk(rm, "meta", "label", "id") != float64(text.InfoSettingsRemovePasskey) {
				t.Fatalf("remove node: %v", rm)
			}
			stored, err := s.App.Store.GetIdentity(t.Context(), ident.ID, true)
			if err != nil {
				t.Fatal(err)
			}
			cfg, _ := webauthn.ReadConfig(stored, "passkey")
			if len(cfg.Credentials) != 1 || len(cfg.UserHandle) != 32 || s.App.Sessions.HighestAAL(stored) != session.AAL1 ||
				!slices.Equal(stored.Credentials["passkey"].Identifiers, []string{webauthn.HandleIdentifier(cfg.UserHandle)}) {
				t.Fatalf("stored passkey: %+v %v", cfg, stored.Credentials["passkey"].Identifiers)
			}

			// A new client without a session signs in with the passkey alone.
			fresh := mfatest.Anonymous(t, s, kind)
			_, lf := fresh.Start("login", "")
			trig := mfatest.Node(lf, "passkey", "passkey_login_trigger")
			if trig == nil || mfatest.Node(lf, "passkey", "passkey_login") == nil || mfatest.Str(trig, "attributes", "onclickTrigger") != "oryPasskeyLogin" {
				t.Fatalf("login nodes: %s", mfatest.Names(lf))
			}
			resp, err := a.Get(mfatest.Str(trig, "attributes", "value"), "")
			if err != nil {
				t.Fatal(err)
			}
			r, _ := fresh.Submit("login", lf, map[string]any{"method": "passkey", "passkey_login": string(resp)})
			if kind == "browser" && r.StatusCode != http.StatusSeeOther || kind == "spa" && r.StatusCode != http.StatusOK {
				t.Fatalf("passkey login: %d %s", r.StatusCode, r.Body)
			}
			who := fresh.JSONGet("/sessions/whoami")
			m := who.Map(t)
			if who.StatusCode != http.StatusOK || mfatest.Str(m, "identity", "id") != ident.ID.String() ||
				mfatest.Str(m, "authenticator_assurance_level") != "aal1" || !strings.Contains(string(who.Body), `"method":"passkey"`) {
				t.Fatalf("whoami: %d %s", who.StatusCode, who.Body)
			}

			// Remove it again.
			_, f := p.Start("settings", "")
			rm = mfatest.Node(f, "passkey", "passkey_remove")
			_, done = p.Submit("settings", f, map[string]any{"method": "passkey", "passkey_remove": mfatest.Str(rm, "attributes", "value")})
			if mfatest.Str(done, "state") != "success" {
				t.Fatalf("remove: %v", mfatest.MessageTexts(done))
			}
			stored, _ = s.App.Store.GetIdentity(t.Context(), ident.ID, true)
			if stored.HasCredentials("passkey") {
				t.Fatal("passkey kept")
			}
		})
	}
}

func TestLoginRejected(t *testing.T) {
	s := start(t)
	ident := s.CreateIdentity(t, "rejected@example.com", password)
	a := &webauthntest.Authenticator{Origin: origin, UV: true}
	enrol(t, mfatest.SignIn(t, s, "spa", ident), a, "passkey_settings_register")

	// An authenticator whose key Portico never registered: no such user.
	stranger := &webauthntest.Authenticator{Origin: origin, UV: true}
	if _, _, err := stranger.Create(`{"publicKey":{"challenge":"AAAA","rp":{"id":"`+rpID+`"},"user":{"id":"c3RyYW5nZXI"}}}`, ""); err != nil {
		t.Fatal(err)
	}

	c := mfatest.Anonymous(t, s, "spa")
	_, lf := c.Start("login", "")
	opts := mfatest.Str(mfatest.Node(lf, "passkey", "passkey_login_trigger"), "attributes", "value")
	cases := []struct {
		name      string
		auth      *webauthntest.Authenticator
		origin    string
		challenge string
		wantID    int
		reason    string
	}{
		{"wrong origin", a, "https://phish.example", "", text.ErrorValidationGeneric, "origin"},
		{"wrong challenge", a, origin, "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", text.ErrorValidationGeneric, "challenge"},
		{"unknown user", stranger, origin, "", text.ErrorValidationNoWebAuthnUser, ""},
	}
	named0, anonymous0 := s.FailedSignIns(t, "passkey")
	unstored0 := s.Unstored(t, "sign_in_failed", "passkey")
	for _, tc := range cases {
		tc.auth.Origin = tc.origin
		resp, err := tc.auth.Get(opts, tc.challenge)
		if err != nil {
			t.Fatal(err)
		}
		r, bad := c.Submit("login", lf, map[string]any{"method": "passkey", "passkey_login": string(resp)})
		if r.StatusCode != http.StatusBadRequest || !slices.Contains(mfatest.MessageIDs(bad), tc.wantID) ||
			!strings.Contains(strings.ToLower(mfatest.MessageTexts(bad)), tc.reason) {
			t.Errorf("%s: %d %v", tc.name, r.StatusCode, mfatest.MessageTexts(bad))
		}
	}

	// Each refused assertion is a failed sign-in: the known key's stored under its identity,
	// the unknown key's (no identity) counted, not stored.
	if named, anonymous := s.FailedSignIns(t, "passkey"); named-named0 != len(cases)-1 || anonymous != anonymous0 {
		t.Errorf("failed passkey sign-ins stored: %d named, %d anonymous; want %d named", named-named0, anonymous-anonymous0, len(cases)-1)
	}
	if n := s.Unstored(t, "sign_in_failed", "passkey") - unstored0; n != 1 {
		t.Errorf("%d failed passkey sign-ins counted, want the unknown key's", n)
	}

	// The right answer works once; the same answer again is refused.
	a.Origin = origin
	resp, err := a.Get(opts, "")
	if err != nil {
		t.Fatal(err)
	}
	if r, _ := c.Submit("login", lf, map[string]any{"method": "passkey", "passkey_login": string(resp)}); r.StatusCode != http.StatusOK {
		t.Fatalf("login: %d %s", r.StatusCode, r.Body)
	}
	// Replayed by the same browser after its session is gone (an attacker holding the answer).
	c.C.SetSessionCookie(s, "no-such-session")
	r, bad := c.Submit("login", lf, map[string]any{"method": "passkey", "passkey_login": string(resp)})
	if r.StatusCode != http.StatusBadRequest || !slices.Contains(mfatest.MessageIDs(bad), text.ErrorValidationGeneric) {
		t.Fatalf("replayed passkey assertion: %d %s", r.StatusCode, r.Body)
	}
}
