package webauthn_test

import (
	"crypto/sha512"
	"encoding/base64"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/portico-auth/portico/internal/apptest"
	"github.com/portico-auth/portico/internal/method/webauthn"
	"github.com/portico-auth/portico/internal/method/webauthn/webauthntest"
	"github.com/portico-auth/portico/internal/text"
)

// enrol registers a security key for p's identity through the settings flow.
func enrol(t *testing.T, p *party, a *webauthntest.Authenticator) map[string]any {
	t.Helper()
	_, f := p.start("settings", "")
	if f == nil {
		t.Fatal("no settings flow")
	}
	trig := node(f, "webauthn", "webauthn_register_trigger")
	if trig == nil {
		t.Fatalf("no webauthn_register_trigger: %s", names(f))
	}
	resp, _, err := a.Create(str(trig, "attributes", "value"), "")
	if err != nil {
		t.Fatal(err)
	}
	r, done := p.submit("settings", f, map[string]any{
		"method": "webauthn", "webauthn_register": string(resp), "webauthn_register_displayname": "My key",
	})
	if str(done, "state") != "success" {
		t.Fatalf("enrol: %d %v %s", r.StatusCode, messageTexts(done), r.Body)
	}
	return done
}

func TestSettingsNodes(t *testing.T) {
	s := start(t)
	ident := s.CreateIdentity(t, "nodes@example.com", password)
	p := signIn(t, s, "spa", ident)
	_, f := p.start("settings", "")
	for _, name := range []string{"webauthn_register_displayname", "webauthn_register", "webauthn_register_trigger", "webauthn_script"} {
		if node(f, "webauthn", name) == nil {
			t.Errorf("missing webauthn node %s in %s", name, names(f))
		}
	}
	trig := node(f, "webauthn", "webauthn_register_trigger")
	if str(trig, "attributes", "type") != "button" || str(trig, "attributes", "onclickTrigger") != "oryWebAuthnRegistration" ||
		!strings.Contains(str(trig, "attributes", "value"), `"challenge"`) || walk(trig, "meta", "label", "id") != float64(text.InfoSettingsAddWebAuthn) {
		t.Errorf("trigger node: %v", trig)
	}
	sc := node(f, "webauthn", "webauthn_script")
	js, integrity := webauthn.Script()
	sum := sha512.Sum512(js)
	if str(sc, "attributes", "src") != s.PublicURL(webauthn.ScriptPath) || str(sc, "attributes", "crossorigin") != "anonymous" ||
		integrity != "sha512-"+base64.StdEncoding.EncodeToString(sum[:]) || str(sc, "attributes", "integrity") != integrity ||
		str(sc, "attributes", "nonce") == "" || str(sc, "attributes", "type") != "text/javascript" {
		t.Errorf("script node: %v", sc)
	}
	// The script is served where the node points.
	r, err := http.Get(s.PublicURL(webauthn.ScriptPath))
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(r.Body)
	r.Body.Close()
	if r.StatusCode != http.StatusOK || !strings.HasPrefix(r.Header.Get("Content-Type"), "text/javascript") || string(body) != string(js) {
		t.Errorf("script: %d %s", r.StatusCode, r.Header.Get("Content-Type"))
	}
	for _, name := range []string{"passkey_register_trigger", "passkey_settings_register"} {
		if node(f, "passkey", name) == nil {
			t.Errorf("missing passkey node %s", name)
		}
	}
}

// TestSecondFactorJourney enrols a key and steps an aal1 session up to aal2 with it, then
// removes the key, as a browser (forms) and as an SPA (JSON).
func TestSecondFactorJourney(t *testing.T) {
	for _, kind := range []string{"browser", "spa"} {
		t.Run(kind, func(t *testing.T) {
			s := start(t)
			ident := s.CreateIdentity(t, kind+"@example.com", password)
			p := signIn(t, s, kind, ident)
			a := &webauthntest.Authenticator{Origin: origin}
			done := enrol(t, p, a)
			rm := node(done, "webauthn", "webauthn_remove")
			if rm == nil || walk(rm, "meta", "label", "id") != float64(text.InfoSettingsRemoveWebAuthn) ||
				str(rm, "meta", "label", "context", "display_name") != "My key" {
				t.Fatalf("remove node: %v", rm)
			}
			stored, err := s.App.Store.GetIdentity(t.Context(), ident.ID, true)
			if err != nil {
				t.Fatal(err)
			}
			cfg, err := webauthn.ReadConfig(stored, "webauthn")
			if err != nil || len(cfg.Credentials) != 1 || cfg.Credentials[0].DisplayName != "My key" || len(cfg.Credentials[0].PublicKey) == 0 {
				t.Fatalf("stored credential: %+v %v", cfg, err)
			}
			if stored.HighestAAL() != "aal2" {
				t.Fatalf("highest aal %s", stored.HighestAAL())
			}

			// The aal1 session now needs the second factor for settings.
			if r, _ := p.start("settings", ""); r.StatusCode == http.StatusOK {
				t.Fatalf("settings with aal1 after enrolment: %d", r.StatusCode)
			}
			_, lf := p.start("login", "aal=aal2")
			if lf == nil {
				t.Fatal("no aal2 login flow")
			}
			trig := node(lf, "webauthn", "webauthn_login_trigger")
			if trig == nil || node(lf, "webauthn", "webauthn_login") == nil || node(lf, "webauthn", "webauthn_script") == nil {
				t.Fatalf("aal2 login nodes: %s", names(lf))
			}
			resp, err := a.Get(str(trig, "attributes", "value"), "")
			if err != nil {
				t.Fatal(err)
			}
			r, _ := p.submit("login", lf, map[string]any{"method": "webauthn", "webauthn_login": string(resp)})
			if kind == "browser" && r.StatusCode != http.StatusSeeOther || kind == "spa" && r.StatusCode != http.StatusOK {
				t.Fatalf("aal2 login: %d %s", r.StatusCode, r.Body)
			}
			who := p.getJSON("/sessions/whoami").Map(t)
			if str(who, "authenticator_assurance_level") != "aal2" || !strings.Contains(string(p.getJSON("/sessions/whoami").Body), `"method":"webauthn"`) {
				t.Fatalf("whoami after webauthn: %v", who)
			}
			// Replaying the same assertion is refused.
			r, again := p.submit("login", lf, map[string]any{"method": "webauthn", "webauthn_login": string(resp)})
			wantStatus := map[string]int{"browser": http.StatusSeeOther, "spa": http.StatusBadRequest}[kind]
			if r.StatusCode != wantStatus || !slices.Contains(messageIDs(again), text.ErrorValidationGeneric) {
				t.Fatalf("replayed assertion: %d %s", r.StatusCode, r.Body)
			}

			// Remove the key: the identity falls back to aal1.
			_, f := p.start("settings", "")
			rm = node(f, "webauthn", "webauthn_remove")
			if rm == nil {
				t.Fatalf("no remove node: %s", names(f))
			}
			_, done = p.submit("settings", f, map[string]any{"method": "webauthn", "webauthn_remove": str(rm, "attributes", "value")})
			if str(done, "state") != "success" || node(done, "webauthn", "webauthn_remove") != nil {
				t.Fatalf("remove: %v %s", messageTexts(done), names(done))
			}
			stored, _ = s.App.Store.GetIdentity(t.Context(), ident.ID, true)
			if stored.HasCredentials("webauthn") || stored.HighestAAL() != "aal1" {
				t.Fatalf("credential kept after removing the last key: %v", stored.Credentials)
			}
		})
	}
}

// TestRejected shows that answers from another origin, for another challenge, replayed, or
// for a stale flow are refused with a 400 and message 4000001, never a 500.
func TestRejected(t *testing.T) {
	cases := []struct {
		name      string
		origin    string
		challenge string
		replay    bool
		reason    string
	}{
		{name: "wrong origin", origin: "https://phish.example", reason: "origin"},
		{name: "wrong challenge", origin: origin, challenge: "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", reason: "challenge"},
		{name: "replayed registration", origin: origin, replay: true, reason: "challenge"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := start(t, apptest.WithEnv("SELFSERVICE_FLOWS_SETTINGS_REQUIRED_AAL", "aal1"))
			ident := s.CreateIdentity(t, "rejected@example.com", password)
			p := signIn(t, s, "spa", ident)
			_, f := p.start("settings", "")
			a := &webauthntest.Authenticator{Origin: tc.origin}
			opts := str(node(f, "webauthn", "webauthn_register_trigger"), "attributes", "value")
			resp, _, err := a.Create(opts, tc.challenge)
			if err != nil {
				t.Fatal(err)
			}
			if tc.replay {
				r, done := p.submit("settings", f, map[string]any{"method": "webauthn", "webauthn_register": string(resp)})
				if str(done, "state") != "success" {
					t.Fatalf("first registration: %d %s", r.StatusCode, r.Body)
				}
			}
			r, bad := p.submit("settings", f, map[string]any{"method": "webauthn", "webauthn_register": string(resp)})
			if r.StatusCode != http.StatusBadRequest || !slices.Contains(messageIDs(bad), text.ErrorValidationGeneric) ||
				!strings.Contains(strings.ToLower(messageTexts(bad)), tc.reason) {
				t.Fatalf("%d %v %s", r.StatusCode, messageTexts(bad), r.Body)
			}
		})
	}
}

func TestLoginRejected(t *testing.T) {
	s := start(t)
	ident := s.CreateIdentity(t, "loginrej@example.com", password)
	p := signIn(t, s, "spa", ident)
	a := &webauthntest.Authenticator{Origin: origin}
	enrol(t, p, a)
	_, lf := p.start("login", "aal=aal2")
	opts := str(node(lf, "webauthn", "webauthn_login_trigger"), "attributes", "value")
	for _, tc := range []struct{ name, origin, challenge, reason string }{
		{"wrong origin", "https://phish.example", "", "origin"},
		{"wrong challenge", origin, "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", "challenge"},
	} {
		a.Origin = tc.origin
		resp, err := a.Get(opts, tc.challenge)
		if err != nil {
			t.Fatal(err)
		}
		r, bad := p.submit("login", lf, map[string]any{"method": "webauthn", "webauthn_login": string(resp)})
		if r.StatusCode != http.StatusBadRequest || !slices.Contains(messageIDs(bad), text.ErrorValidationGeneric) ||
			!strings.Contains(strings.ToLower(messageTexts(bad)), tc.reason) {
			t.Errorf("%s: %d %v", tc.name, r.StatusCode, messageTexts(bad))
		}
	}
	r, bad := p.submit("login", lf, map[string]any{"method": "webauthn", "webauthn_login": "{not json"})
	if r.StatusCode != http.StatusBadRequest || !slices.Contains(messageIDs(bad), text.ErrorValidationGeneric) {
		t.Errorf("garbage: %d %s", r.StatusCode, r.Body)
	}
}

// TestNative: WebAuthn needs a browser, so API flows offer no WebAuthn nodes and refuse a
// WebAuthn submission (as Kratos does).
func TestNative(t *testing.T) {
	s := start(t)
	ident := s.CreateIdentity(t, "native@example.com", password)
	p := signIn(t, s, "native", ident)
	_, f := p.start("settings", "")
	if f == nil || node(f, "webauthn", "webauthn_register_trigger") != nil || node(f, "passkey", "passkey_register_trigger") != nil {
		t.Fatalf("native settings nodes: %s", names(f))
	}
	r, bad := p.submit("settings", f, map[string]any{"method": "webauthn", "webauthn_register": "{}"})
	if r.StatusCode != http.StatusBadRequest || !slices.Contains(messageIDs(bad), text.ErrorValidationSettingsNoStrategy) {
		t.Fatalf("native submission: %d %s", r.StatusCode, r.Body)
	}
}

// TestPrivilegedSessionRequired: adding a key with an old session asks for a refresh login.
func TestPrivilegedSessionRequired(t *testing.T) {
	s := start(t)
	ident := s.CreateIdentity(t, "stale@example.com", password)
	p := signIn(t, s, "spa", ident)
	_, f := p.start("settings", "")
	s.Clock.Advance(2 * time.Hour)
	_, f = p.start("settings", "")
	a := &webauthntest.Authenticator{Origin: origin}
	resp, _, err := a.Create(str(node(f, "webauthn", "webauthn_register_trigger"), "attributes", "value"), "")
	if err != nil {
		t.Fatal(err)
	}
	r, body := p.submit("settings", f, map[string]any{"method": "webauthn", "webauthn_register": string(resp)})
	if r.StatusCode != http.StatusForbidden || str(body, "error", "id") != "session_refresh_required" {
		t.Fatalf("%d %s", r.StatusCode, r.Body)
	}
}
