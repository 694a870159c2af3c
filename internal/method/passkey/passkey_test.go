package passkey_test

import (
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/portico-auth/portico/internal/method/webauthn"
	"github.com/portico-auth/portico/internal/method/webauthn/webauthntest"
	"github.com/portico-auth/portico/internal/text"
)

// enrol registers a passkey for p's identity through the settings flow.
func enrol(t *testing.T, p *party, a *webauthntest.Authenticator, field string) map[string]any {
	t.Helper()
	_, f := p.start("settings", "")
	trig := node(f, "passkey", "passkey_register_trigger")
	if trig == nil || str(trig, "attributes", "onclickTrigger") != "oryPasskeySettingsRegistration" {
		t.Fatalf("passkey trigger: %v in %s", trig, names(f))
	}
	if !strings.Contains(str(trig, "attributes", "value"), `"residentKey":"required"`) {
		t.Fatalf("creation options do not ask for a discoverable credential: %s", str(trig, "attributes", "value"))
	}
	resp, _, err := a.Create(str(trig, "attributes", "value"), "")
	if err != nil {
		t.Fatal(err)
	}
	r, done := p.submit("settings", f, map[string]any{"method": "passkey", field: string(resp)})
	if str(done, "state") != "success" {
		t.Fatalf("enrol: %d %v %s", r.StatusCode, messageTexts(done), r.Body)
	}
	return done
}

// TestPasswordlessJourney enrols a passkey, then signs in with it alone (aal1), as a browser
// and as an SPA, then removes it.
func TestPasswordlessJourney(t *testing.T) {
	for _, kind := range []string{"browser", "spa"} {
		t.Run(kind, func(t *testing.T) {
			s := start(t)
			ident := s.CreateIdentity(t, kind+"@example.com", password)
			p := signIn(t, s, kind, ident)
			a := &webauthntest.Authenticator{Origin: origin, UV: true}
			field := map[string]string{"browser": "passkey_settings_register", "spa": "passkey_register"}[kind]
			done := enrol(t, p, a, field)
			rm := node(done, "passkey", "passkey_remove")
			if rm == nil || walk(rm, "meta", "label", "id") != float64(text.InfoSettingsRemovePasskey) {
				t.Fatalf("remove node: %v", rm)
			}
			stored, err := s.App.Store.GetIdentity(t.Context(), ident.ID, true)
			if err != nil {
				t.Fatal(err)
			}
			cfg, _ := webauthn.ReadConfig(stored, "passkey")
			if len(cfg.Credentials) != 1 || len(cfg.UserHandle) != 32 || stored.HighestAAL() != "aal1" ||
				!slices.Equal(stored.Credentials["passkey"].Identifiers, []string{webauthn.HandleIdentifier(cfg.UserHandle)}) {
				t.Fatalf("stored passkey: %+v %v", cfg, stored.Credentials["passkey"].Identifiers)
			}

			// A new client without a session signs in with the passkey alone.
			var fresh *party
			if kind == "browser" {
				fresh = &party{t: t, kind: kind, s: s, c: s.Browser(t)}
			} else {
				fresh = &party{t: t, kind: kind, s: s, c: s.SPA(t)}
			}
			_, lf := fresh.start("login", "")
			trig := node(lf, "passkey", "passkey_login_trigger")
			if trig == nil || node(lf, "passkey", "passkey_login") == nil || str(trig, "attributes", "onclickTrigger") != "oryPasskeyLogin" {
				t.Fatalf("login nodes: %s", names(lf))
			}
			resp, err := a.Get(str(trig, "attributes", "value"), "")
			if err != nil {
				t.Fatal(err)
			}
			r, _ := fresh.submit("login", lf, map[string]any{"method": "passkey", "passkey_login": string(resp)})
			if kind == "browser" && r.StatusCode != http.StatusSeeOther || kind == "spa" && r.StatusCode != http.StatusOK {
				t.Fatalf("passkey login: %d %s", r.StatusCode, r.Body)
			}
			who := fresh.getJSON("/sessions/whoami")
			m := who.Map(t)
			if who.StatusCode != http.StatusOK || str(m, "identity", "id") != ident.ID.String() ||
				str(m, "authenticator_assurance_level") != "aal1" || !strings.Contains(string(who.Body), `"method":"passkey"`) {
				t.Fatalf("whoami: %d %s", who.StatusCode, who.Body)
			}

			// Remove it again.
			_, f := p.start("settings", "")
			rm = node(f, "passkey", "passkey_remove")
			_, done = p.submit("settings", f, map[string]any{"method": "passkey", "passkey_remove": str(rm, "attributes", "value")})
			if str(done, "state") != "success" {
				t.Fatalf("remove: %v", messageTexts(done))
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
	enrol(t, signIn(t, s, "spa", ident), a, "passkey_settings_register")

	// An authenticator whose key Portico never registered: no such user.
	stranger := &webauthntest.Authenticator{Origin: origin, UV: true}
	if _, _, err := stranger.Create(`{"publicKey":{"challenge":"AAAA","rp":{"id":"`+rpID+`"},"user":{"id":"c3RyYW5nZXI"}}}`, ""); err != nil {
		t.Fatal(err)
	}

	c := &party{t: t, kind: "spa", s: s, c: s.SPA(t)}
	_, lf := c.start("login", "")
	opts := str(node(lf, "passkey", "passkey_login_trigger"), "attributes", "value")
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
	for _, tc := range cases {
		tc.auth.Origin = tc.origin
		resp, err := tc.auth.Get(opts, tc.challenge)
		if err != nil {
			t.Fatal(err)
		}
		r, bad := c.submit("login", lf, map[string]any{"method": "passkey", "passkey_login": string(resp)})
		if r.StatusCode != http.StatusBadRequest || !slices.Contains(messageIDs(bad), tc.wantID) ||
			!strings.Contains(strings.ToLower(messageTexts(bad)), tc.reason) {
			t.Errorf("%s: %d %v", tc.name, r.StatusCode, messageTexts(bad))
		}
	}

	// The right answer works once; the same answer again is refused.
	a.Origin = origin
	resp, err := a.Get(opts, "")
	if err != nil {
		t.Fatal(err)
	}
	if r, _ := c.submit("login", lf, map[string]any{"method": "passkey", "passkey_login": string(resp)}); r.StatusCode != http.StatusOK {
		t.Fatalf("login: %d %s", r.StatusCode, r.Body)
	}
	// Replayed by the same browser after its session is gone (an attacker holding the answer).
	c.c.SetSessionCookie(s, "no-such-session")
	r, bad := c.submit("login", lf, map[string]any{"method": "passkey", "passkey_login": string(resp)})
	if r.StatusCode != http.StatusBadRequest || !slices.Contains(messageIDs(bad), text.ErrorValidationGeneric) {
		t.Fatalf("replayed passkey assertion: %d %s", r.StatusCode, r.Body)
	}
}
