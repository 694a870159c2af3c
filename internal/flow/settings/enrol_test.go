package settings_test

import (
	"net/http"
	"strings"
	"testing"

	pqtotp "github.com/pquerna/otp/totp"

	"github.com/portico-auth/portico/internal/apptest"
	"github.com/portico-auth/portico/internal/apptest/mfatest"
	"github.com/portico-auth/portico/internal/text"
)

// startEnrol starts Portico with recovery, TOTP and recovery codes on and, unless off, forced
// enrolment (selfservice.flows.settings.required_aal: aal2_enrol).
func startEnrol(t *testing.T, on bool) *apptest.Server {
	opts := []apptest.Option{
		apptest.WithEnv("SELFSERVICE_FLOWS_RECOVERY_ENABLED", "true"),
		apptest.WithEnv("SELFSERVICE_METHODS_TOTP_ENABLED", "true"),
		apptest.WithEnv("SELFSERVICE_METHODS_TOTP_CONFIG_ISSUER", "Portico Test"),
		apptest.WithEnv("SELFSERVICE_METHODS_LOOKUP_SECRET_ENABLED", "true"),
	}
	if on {
		opts = append(opts, apptest.WithEnv("SELFSERVICE_FLOWS_SETTINGS_REQUIRED_AAL", "aal2_enrol"))
	}
	return apptest.Start(t, opts...)
}

// passwordLogin signs p in through a real login flow and returns the login's reply.
func passwordLogin(t *testing.T, p *mfatest.Party, email string) *apptest.Response {
	t.Helper()
	_, lf := p.StartLogin("")
	if lf == nil {
		t.Fatal("no login flow")
	}
	res, body := p.Submit("login", lf, map[string]any{"method": "password", "identifier": email, "password": password})
	if p.Kind == "native" {
		tok := mfatest.Str(body, "session_token")
		if res.StatusCode != http.StatusOK || tok == "" {
			t.Fatalf("native login: %d %s", res.StatusCode, res.Body)
		}
		p.Token = tok
		p.C.Header.Set("X-Session-Token", tok)
	}
	return res
}

// redirectOf is where the reply to a login sends the browser: the 303's Location, or the
// SPA's continue_with redirect_browser_to ("" for a native app).
func redirectOf(t *testing.T, p *mfatest.Party, res *apptest.Response) string {
	t.Helper()
	switch p.Kind {
	case "browser":
		if res.StatusCode != http.StatusSeeOther {
			t.Fatalf("browser login: %d %s", res.StatusCode, res.Body)
		}
		return res.Header.Get("Location")
	case "spa":
		if res.StatusCode != http.StatusOK {
			t.Fatalf("spa login: %d %s", res.StatusCode, res.Body)
		}
		for _, c := range mfatest.Walk(res.Map(t), "continue_with").([]any) {
			if mfatest.Str(c, "action") == "redirect_browser_to" {
				return mfatest.Str(c, "redirect_browser_to")
			}
		}
		t.Fatalf("spa login without redirect_browser_to: %s", res.Body)
	}
	return ""
}

// signedIn starts a server (forced enrolment on or off), creates an identity with a password
// and signs a client of kind in as it through a real login flow; to is where the login sent
// the browser ("" for a native app).
func signedIn(t *testing.T, kind string, on bool) (s *apptest.Server, p *mfatest.Party, email, to string) {
	t.Helper()
	s = startEnrol(t, on)
	email = apptest.Email("enrol-" + kind)
	s.CreateIdentity(t, email, password)
	p = mfatest.Anonymous(t, s, kind)
	return s, p, email, redirectOf(t, p, passwordLogin(t, p, email))
}

// groups lists the groups of f's nodes once each, in order.
func groups(f map[string]any) string {
	var out []string
	for _, n := range mfatest.Nodes(f) {
		g, _ := n["group"].(string)
		if len(out) == 0 || out[len(out)-1] != g {
			out = append(out, g)
		}
	}
	return strings.Join(out, " ")
}

// TestForcedEnrolment is forced second-factor enrolment end to end, as each client: after a
// password login the identity without a second factor is sent to a settings flow that offers
// only the enrolment; whoami, the session list and every other settings method are refused
// meanwhile (logout is not); enrolling TOTP ends it, with no second login: login, enrolment,
// done, whoami ok.
func TestForcedEnrolment(t *testing.T) {
	for _, kind := range mfatest.Kinds {
		t.Run(kind, func(t *testing.T) {
			s, p, email, to := signedIn(t, kind, true)
			enrolURL := s.PublicURL("/self-service/settings/browser")
			if kind != "native" && to != enrolURL {
				t.Fatalf("after login sent to %q, want %q", to, enrolURL)
			}
			for _, path := range []string{"/sessions/whoami", "/sessions"} {
				w := p.JSONGet(path)
				m := w.Map(t)
				if w.StatusCode != http.StatusForbidden || mfatest.Str(m, "error", "id") != "session_aal2_required" ||
					mfatest.Walk(m, "error", "details", "enrol_second_factor") != true || mfatest.Str(m, "redirect_browser_to") != enrolURL {
					t.Fatalf("%s before enrolment: %d %s", path, w.StatusCode, w.Body)
				}
			}
			if kind != "native" {
				if res := p.JSONGet("/self-service/logout/browser"); res.StatusCode != http.StatusOK {
					t.Fatalf("logout before enrolment: %d %s", res.StatusCode, res.Body)
				}
			}

			_, f := p.StartSettings()
			if f == nil {
				t.Fatal("no settings flow before enrolment")
			}
			if got := groups(f); got != "default lookup_secret totp" {
				t.Fatalf("enrolment flow groups %q (%v)", got, mfatest.Names(f))
			}
			// Another method is refused even when a client submits it anyway.
			res, bad := p.Submit("settings", f, map[string]any{"method": "profile", "traits": map[string]any{"email": email}})
			if kind != "browser" && res.StatusCode != http.StatusBadRequest {
				t.Fatalf("profile during enrolment: %d %s", res.StatusCode, res.Body)
			}
			if !mfatest.Has(mfatest.MessageIDs(bad), text.ErrorValidationSettingsNoStrategy) {
				t.Fatalf("profile during enrolment: messages %v", mfatest.MessageIDs(bad))
			}

			secret := mfatest.Str(mfatest.Node(bad, "totp", "totp_secret_key"), "attributes", "text", "context", "secret")
			code, err := pqtotp.GenerateCode(secret, s.Clock.Now())
			if err != nil {
				t.Fatal(err)
			}
			res, done := p.Submit("settings", bad, map[string]any{"method": "totp", "totp_code": code})
			if kind != "browser" && res.StatusCode != http.StatusOK {
				t.Fatalf("enrol: %d %s", res.StatusCode, res.Body)
			}
			if mfatest.Str(done, "state") != "success" || mfatest.Node(done, "profile", "traits.email") == nil {
				t.Fatalf("after enrolment: %s %v", mfatest.Str(done, "state"), mfatest.Names(done))
			}
			w := p.Whoami()
			if w.StatusCode != http.StatusOK || mfatest.Str(w.Map(t), "authenticator_assurance_level") != "aal2" {
				t.Fatalf("whoami after enrolment: %d %s", w.StatusCode, w.Body)
			}
			_, f = p.StartSettings()
			if f == nil || !strings.Contains(groups(f), "profile") {
				t.Fatalf("settings after enrolment: %v", mfatest.Names(f))
			}
			// The second factor cannot be taken away again while it is required.
			res, un := p.Submit("settings", f, map[string]any{"totp_unlink": true})
			if kind != "browser" && res.StatusCode != http.StatusBadRequest {
				t.Fatalf("unlink the last second factor: %d %s", res.StatusCode, res.Body)
			}
			if !mfatest.Has(mfatest.MessageIDs(un), text.ErrorValidationLastSecondFactor) || mfatest.Node(un, "totp", "totp_unlink") == nil {
				t.Fatalf("unlink the last second factor: messages %v, nodes %v", mfatest.MessageIDs(un), mfatest.Names(un))
			}
		})
	}
}

// TestForcedEnrolmentOff: without aal2_enrol the same login goes where Kratos sends it and
// the aal1 session is whole (an identity without a second factor is at its highest level).
func TestForcedEnrolmentOff(t *testing.T) {
	for _, kind := range mfatest.Kinds {
		t.Run(kind, func(t *testing.T) {
			s, p, _, to := signedIn(t, kind, false)
			if kind != "native" && to != s.Config.SelfService.DefaultBrowserReturnURL {
				t.Fatalf("after login sent to %q", to)
			}
			if w := p.Whoami(); w.StatusCode != http.StatusOK {
				t.Fatalf("whoami: %d %s", w.StatusCode, w.Body)
			}
			if _, f := p.StartSettings(); f == nil || !strings.Contains(groups(f), "profile") {
				t.Fatalf("settings: %v", mfatest.Names(f))
			}
		})
	}
}

// TestForcedEnrolmentAfterRecovery: the settings flow a recovery opens for an identity without
// a second factor offers only the enrolment too (its new session is aal1), as a native app.
func TestForcedEnrolmentAfterRecovery(t *testing.T) {
	s := startEnrol(t, true)
	mail := s.StartMail(t)
	email := apptest.Email("enrol-recovery")
	s.CreateIdentity(t, email, password)
	app := s.Native(t)
	var rf struct{ ID string }
	app.Get(s.PublicURL("/self-service/recovery/api")).JSON(t, &rf)
	if res := app.PostJSON(s.PublicURL("/self-service/recovery?flow="+rf.ID), map[string]any{"method": "code", "email": email}); res.StatusCode != http.StatusOK {
		t.Fatalf("send recovery code: %d %s", res.StatusCode, res.Body)
	}
	res := app.PostJSON(s.PublicURL("/self-service/recovery?flow="+rf.ID), map[string]any{"method": "code", "code": mail.Code(t, email)})
	cw, _ := mfatest.Walk(res.Map(t), "continue_with").([]any)
	if res.StatusCode != http.StatusOK || len(cw) != 2 {
		t.Fatalf("recovery: %d %s", res.StatusCode, res.Body)
	}
	app.Header.Set("X-Session-Token", mfatest.Str(cw[0], "ory_session_token"))
	f := app.Get(s.PublicURL("/self-service/settings/flows?id=" + mfatest.Str(cw[1], "flow", "id")))
	if f.StatusCode != http.StatusOK {
		t.Fatalf("recovery's settings flow: %d %s", f.StatusCode, f.Body)
	}
	if got := groups(f.Map(t)); got != "default lookup_secret totp" {
		t.Fatalf("recovery's settings flow groups %q", got)
	}
}
