package totp_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/portico-auth/portico/internal/apptest"
	"github.com/portico-auth/portico/internal/apptest/mfatest"
)

// TestSeedAALCase is the seed's case end to end: a password + TOTP identity with an aal1
// session is sent to the aal2 login by createBrowserSettingsFlow (403 for AJAX, 303 for a
// browser) and by whoami, and is let through once the second factor is done.
func TestSeedAALCase(t *testing.T) {
	for _, kind := range []string{"browser", "spa"} {
		t.Run(kind, func(t *testing.T) {
			s := start(t)
			ident := s.CreateIdentity(t, "seed-"+kind+"@example.com", password)
			secret := enrol(t, mfatest.SignIn(t, s, "spa", ident))
			s.Clock.Advance(30 * time.Second)

			p := mfatest.SignIn(t, s, kind, ident)
			aal2 := s.PublicURL("/self-service/login/browser?aal=aal2")
			res := p.C.Get(s.PublicURL("/self-service/settings/browser"))
			switch kind {
			case "browser":
				if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != aal2 {
					t.Fatalf("aal1 browser: %d %s", res.StatusCode, res.Header.Get("Location"))
				}
			default:
				m := res.Map(t)
				if res.StatusCode != http.StatusForbidden || mfatest.Str(m, "error", "id") != "session_aal2_required" ||
					mfatest.Str(m, "redirect_browser_to") != aal2 || mfatest.Str(m, "error", "details", "redirect_browser_to") != aal2 {
					t.Fatalf("aal1 ajax: %d %s", res.StatusCode, res.Body)
				}
			}
			if w := p.Whoami(); w.StatusCode != http.StatusForbidden || mfatest.Str(w.Map(t), "redirect_browser_to") != aal2 {
				t.Fatalf("aal1 whoami: %d %s", w.StatusCode, w.Body)
			}
			// updateSettingsFlow is guarded as well: a flow made while aal2 cannot be used at aal1.
			_, lf := p.StartLogin("aal=aal2")
			if lf == nil {
				t.Fatal("no aal2 login flow")
			}
			res, _ = p.Submit("login", lf, map[string]any{"method": "totp", "totp_code": code(t, secret, s.Clock.Now())})
			if res.StatusCode != http.StatusOK && res.StatusCode != http.StatusSeeOther {
				t.Fatalf("aal2 login: %d %s", res.StatusCode, res.Body)
			}
			res = p.C.Get(s.PublicURL("/self-service/settings/browser"))
			switch kind {
			case "browser":
				loc := res.Header.Get("Location")
				if res.StatusCode != http.StatusSeeOther || !strings.HasPrefix(loc, s.Config.SelfService.Flows.Settings.UIURL) || apptest.URL(t, loc).Query().Get("flow") == "" {
					t.Fatalf("aal2 browser: %d %s", res.StatusCode, loc)
				}
			default:
				if res.StatusCode != http.StatusOK {
					t.Fatalf("aal2 ajax: %d %s", res.StatusCode, res.Body)
				}
			}
			if w := p.Whoami(); w.StatusCode != http.StatusOK {
				t.Fatalf("aal2 whoami: %d %s", w.StatusCode, w.Body)
			}
		})
	}
}

// TestRequiredAAL1 lets an aal1 session of a TOTP identity use settings and whoami at once.
func TestRequiredAAL1(t *testing.T) {
	s := start(t,
		apptest.WithEnv("SELFSERVICE_FLOWS_SETTINGS_REQUIRED_AAL", "aal1"),
		apptest.WithEnv("SESSION_WHOAMI_REQUIRED_AAL", "aal1"))
	ident := s.CreateIdentity(t, "aal1@example.com", password)
	enrol(t, mfatest.SignIn(t, s, "spa", ident))
	for _, kind := range []string{"browser", "spa"} {
		p := mfatest.SignIn(t, s, kind, ident)
		res := p.C.Get(s.PublicURL("/self-service/settings/browser"))
		want := http.StatusOK
		if kind == "browser" {
			want = http.StatusSeeOther
		}
		if res.StatusCode != want || (kind == "browser" && apptest.URL(t, res.Header.Get("Location")).Query().Get("flow") == "") {
			t.Fatalf("%s settings: %d %s", kind, res.StatusCode, res.Body)
		}
		if w := p.Whoami(); w.StatusCode != http.StatusOK || mfatest.Str(w.Map(t), "authenticator_assurance_level") != "aal1" {
			t.Fatalf("%s whoami: %d %s", kind, w.StatusCode, w.Body)
		}
	}
}

// TestAAL2Errors covers the aal2 login's refusals.
func TestAAL2Errors(t *testing.T) {
	s := start(t)
	ident := s.CreateIdentity(t, "errors@example.com", password)
	app := s.Native(t)
	if res := app.Get(s.PublicURL("/self-service/login/api?aal=aal2")); res.StatusCode != http.StatusUnauthorized ||
		mfatest.Str(res.Map(t), "error", "id") != "session_aal1_required" {
		t.Fatalf("aal2 without session: %d %s", res.StatusCode, res.Body)
	}
	p := mfatest.SignIn(t, s, "native", ident)
	if res, _ := p.StartLogin("aal=aal2"); res.StatusCode != http.StatusBadRequest {
		t.Fatalf("aal2 without second factor: %d %s", res.StatusCode, res.Body)
	}
	enrol(t, p)
	if res, _ := p.StartLogin("aal=aal2"); res.StatusCode != http.StatusBadRequest ||
		mfatest.Str(res.Map(t), "error", "id") != "session_aal_already_fulfilled" {
		t.Fatalf("aal2 session asks for aal2: %d %s", res.StatusCode, res.Body)
	}
	q := mfatest.SignIn(t, s, "native", ident)
	_, lf := q.StartLogin("aal=aal2")
	res, f := q.Submit("login", lf, map[string]any{"method": "totp"})
	if res.StatusCode != http.StatusBadRequest || !mfatest.Has(mfatest.MessageIDs(f), 4000002) {
		t.Fatalf("missing code: %d %s", res.StatusCode, res.Body)
	}
	res, f = q.Submit("login", lf, map[string]any{"method": "password", "identifier": "errors@example.com", "password": password})
	if res.StatusCode != http.StatusBadRequest || !mfatest.Has(mfatest.MessageIDs(f), 4010002) {
		t.Fatalf("first factor on an aal2 flow: %d %s", res.StatusCode, res.Body)
	}
}

// TestPrivileged asks for a fresh login before linking or unlinking, and applies the parked
// link after it.
func TestPrivileged(t *testing.T) {
	s := start(t, apptest.WithEnv("SELFSERVICE_FLOWS_SETTINGS_LIFESPAN", "10h"))
	ident := s.CreateIdentity(t, "priv@example.com", password)
	p := mfatest.SignIn(t, s, "spa", ident)
	_, f := p.StartSettings()
	secret := secretOf(t, f)
	s.Clock.Advance(2 * time.Hour)
	res, _ := p.Submit("settings", f, map[string]any{"method": "totp", "totp_code": code(t, secret, s.Clock.Now())})
	if res.StatusCode != http.StatusForbidden || mfatest.Str(res.Map(t), "error", "id") != "session_refresh_required" {
		t.Fatalf("stale link: %d %s", res.StatusCode, res.Body)
	}
	n := mfatest.SignIn(t, s, "native", ident)
	_, nf := n.StartSettings()
	s.Clock.Advance(2 * time.Hour)
	res, _ = n.Submit("settings", nf, map[string]any{"method": "totp", "totp_code": code(t, secretOf(t, nf), s.Clock.Now())})
	if res.StatusCode != http.StatusForbidden || mfatest.Str(res.Map(t), "error", "id") != "session_refresh_required" {
		t.Fatalf("stale native link: %d %s", res.StatusCode, res.Body)
	}
}
