package login_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/portico-auth/portico/internal/apptest"
)

const (
	email = "ada@example.com"
	pw    = "correct horse battery staple"
)

func whoami(t *testing.T, s *apptest.Server, c *apptest.Client, hdr http.Header) *apptest.Response {
	t.Helper()
	return c.Do(http.MethodGet, s.PublicURL("/sessions/whoami"), nil, hdr)
}

func token(tok string) http.Header { return http.Header{"X-Session-Token": {tok}} }

func TestNativeJourney(t *testing.T) {
	s := apptest.Start(t)
	app := s.Native(t)
	tok := s.RegisterNative(t, email, pw)
	if tok == "" {
		t.Fatal("registration issued no session token")
	}
	if r := whoami(t, s, app, token(tok)); r.StatusCode != http.StatusOK {
		t.Fatalf("whoami after registration: %d %s", r.StatusCode, r.Body)
	}
	if r := app.Do(http.MethodDelete, s.PublicURL("/self-service/logout/api"), strings.NewReader(`{"session_token":"`+tok+`"}`),
		http.Header{"Content-Type": {"application/json"}}); r.StatusCode != http.StatusNoContent {
		t.Fatalf("logout: %d %s", r.StatusCode, r.Body)
	}
	if r := whoami(t, s, app, token(tok)); r.StatusCode != http.StatusUnauthorized {
		t.Fatalf("whoami after logout: %d %s", r.StatusCode, r.Body)
	}
	tok2 := s.LoginNative(t, strings.ToUpper(email), pw)
	r := whoami(t, s, app, token(tok2))
	if r.StatusCode != http.StatusOK {
		t.Fatalf("whoami after login: %d %s", r.StatusCode, r.Body)
	}
	m := r.Map(t)
	if m["authenticator_assurance_level"] != "aal1" {
		t.Errorf("aal = %v", m["authenticator_assurance_level"])
	}
	methods := m["authentication_methods"].([]any)
	if len(methods) != 1 || methods[0].(map[string]any)["method"] != "password" {
		t.Errorf("authentication_methods = %v", methods)
	}
}

func TestSPAJourney(t *testing.T) {
	s := apptest.Start(t)
	spa := s.SPA(t)
	// register
	res := spa.Get(s.PublicURL("/self-service/registration/browser"))
	if res.StatusCode != http.StatusOK {
		t.Fatalf("create registration: %d %s", res.StatusCode, res.Body)
	}
	id := res.Map(t)["id"].(string)
	csrf := apptest.CSRFToken(t, res)
	res = spa.PostJSON(s.PublicURL("/self-service/registration?flow="+id), map[string]any{
		"method": "password", "password": pw, "csrf_token": csrf, "traits": map[string]any{"email": email},
	})
	if res.StatusCode != http.StatusOK {
		t.Fatalf("register: %d %s", res.StatusCode, res.Body)
	}
	body := res.Map(t)
	if body["session"] == nil || body["session_token"] != nil {
		t.Fatalf("SPA registration reply: %s", res.Body)
	}
	if r := whoami(t, s, spa, nil); r.StatusCode != http.StatusOK {
		t.Fatalf("whoami after registration: %d %s", r.StatusCode, r.Body)
	}
	// logout
	res = spa.Get(s.PublicURL("/self-service/logout/browser"))
	if res.StatusCode != http.StatusOK {
		t.Fatalf("logout url: %d %s", res.StatusCode, res.Body)
	}
	lo := res.Map(t)
	if !strings.HasPrefix(lo["logout_token"].(string), "ory_lo_") {
		t.Errorf("logout_token = %v", lo["logout_token"])
	}
	if r := spa.Get(lo["logout_url"].(string)); r.StatusCode != http.StatusNoContent {
		t.Fatalf("logout: %d %s", r.StatusCode, r.Body)
	}
	if r := whoami(t, s, spa, nil); r.StatusCode != http.StatusUnauthorized {
		t.Fatalf("whoami after logout: %d", r.StatusCode)
	}
	// login
	res = spa.Get(s.PublicURL("/self-service/login/browser"))
	if res.StatusCode != http.StatusOK {
		t.Fatalf("create login: %d %s", res.StatusCode, res.Body)
	}
	id = res.Map(t)["id"].(string)
	csrf = apptest.CSRFToken(t, res)
	res = spa.PostJSON(s.PublicURL("/self-service/login?flow="+id), map[string]any{
		"method": "password", "identifier": email, "password": pw, "csrf_token": csrf,
	})
	if res.StatusCode != http.StatusOK {
		t.Fatalf("login: %d %s", res.StatusCode, res.Body)
	}
	if r := whoami(t, s, spa, nil); r.StatusCode != http.StatusOK {
		t.Fatalf("whoami after login: %d %s", r.StatusCode, r.Body)
	}
}

func TestBrowserJourney(t *testing.T) {
	s := apptest.Start(t)
	b := s.Browser(t)
	id, csrf := s.BrowserFlow(t, b, "registration")
	res := b.PostForm(s.PublicURL("/self-service/registration?flow="+id), url.Values{
		"method": {"password"}, "password": {pw}, "csrf_token": {csrf},
		"traits.email": {email}, "traits.name.first": {"Ada"},
	})
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("register: %d %s", res.StatusCode, res.Body)
	}
	if loc := res.Header.Get("Location"); loc != s.Config.ReturnURL("registration", "password") {
		t.Errorf("after registration sent to %q", loc)
	}
	if r := whoami(t, s, b, nil); r.StatusCode != http.StatusOK {
		t.Fatalf("whoami after registration: %d %s", r.StatusCode, r.Body)
	}
	// a signed-in browser asking for a login is sent back
	if r := b.Get(s.PublicURL("/self-service/login/browser")); r.StatusCode != http.StatusSeeOther ||
		r.Header.Get("Location") != s.Config.ReturnURL("login", "password") {
		t.Fatalf("login with a session: %d %s", r.StatusCode, r.Header.Get("Location"))
	}
	lo := b.Do(http.MethodGet, s.PublicURL("/self-service/logout/browser"), nil, http.Header{"Accept": {"application/json"}})
	if lo.StatusCode != http.StatusOK {
		t.Fatalf("logout url: %d %s", lo.StatusCode, lo.Body)
	}
	res = b.Get(lo.Map(t)["logout_url"].(string))
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("logout: %d %s", res.StatusCode, res.Body)
	}
	if r := whoami(t, s, b, nil); r.StatusCode != http.StatusUnauthorized {
		t.Fatalf("whoami after logout: %d", r.StatusCode)
	}
	s.LoginBrowser(t, b, email, pw)
	if r := whoami(t, s, b, nil); r.StatusCode != http.StatusOK {
		t.Fatalf("whoami after login: %d %s", r.StatusCode, r.Body)
	}
}
