package ui_test

import (
	"html"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/portico-auth/portico/internal/apptest"
)

const wantCSP = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; form-action 'self'"

func location(t *testing.T, r *apptest.Response) string {
	t.Helper()
	if r.StatusCode != http.StatusSeeOther && r.StatusCode != http.StatusFound {
		t.Fatalf("status %d, want a redirect; body: %s", r.StatusCode, r.Body)
	}
	return r.Header.Get("Location")
}

func checkPageHeaders(t *testing.T, r *apptest.Response) {
	t.Helper()
	for k, want := range map[string]string{
		"X-Frame-Options":        "DENY",
		"Referrer-Policy":        "same-origin",
		"X-Content-Type-Options": "nosniff",
		"Cache-Control":          "no-store",
		"Content-Type":           "text/html; charset=utf-8",
	} {
		if got := r.Header.Get(k); got != want {
			t.Errorf("%s = %q, want %q", k, got, want)
		}
	}
	csp := r.Header.Get("Content-Security-Policy")
	if !strings.HasPrefix(csp, wantCSP) || !strings.Contains(csp, "frame-ancestors 'none'; base-uri 'none'") || strings.Contains(csp, "unsafe-inline") {
		t.Errorf("Content-Security-Policy = %q", csp)
	}
}

// TestFlowPagesStartFlows: without ?flow= a page starts the flow at the browser endpoint,
// which comes back to the page (the real ui_url round trip).
func TestFlowPagesStartFlows(t *testing.T) {
	s := apptest.Start(t)
	for _, kind := range []string{"login", "registration"} {
		t.Run(kind, func(t *testing.T) {
			b := s.Browser(t)
			loc := location(t, b.Get(s.PublicURL("/ui/"+kind+"?return_to=%2Fui%2Fwelcome")))
			if want := s.PublicURL("/self-service/" + kind + "/browser?return_to=%2Fui%2Fwelcome"); loc != want {
				t.Fatalf("redirect to %s, want %s", loc, want)
			}
			back := location(t, b.Get(loc))
			if !strings.HasPrefix(back, s.PublicURL("/ui/"+kind+"?flow=")) {
				t.Fatalf("browser endpoint sent the browser to %s", back)
			}
			r := b.Get(back)
			if r.StatusCode != http.StatusOK {
				t.Fatalf("page status %d: %s", r.StatusCode, r.Body)
			}
			checkPageHeaders(t, r)
			body := string(r.Body)
			for _, want := range []string{`name="csrf_token"`, `<button id="form-password-password-method" type="submit" name="method" value="password"`, `<link rel="stylesheet" href="/ui/static/style.css">`} {
				if !strings.Contains(body, want) {
					t.Errorf("page lacks %s", want)
				}
			}
		})
	}
}

func TestFlowPageUnknownFlowStartsAfresh(t *testing.T) {
	s := apptest.Start(t)
	b := s.Browser(t)
	for _, id := range []string{uuid.NewString(), "not-a-uuid"} {
		if loc := location(t, b.Get(s.PublicURL("/ui/login?flow="+id))); loc != s.PublicURL("/self-service/login/browser") {
			t.Errorf("flow %s: redirect to %s, want a new login flow", id, loc)
		}
	}
}

func TestSettingsWithoutSessionSignsInFirst(t *testing.T) {
	s := apptest.Start(t)
	b := s.Browser(t)
	loc := location(t, b.Get(s.PublicURL("/ui/settings?flow="+uuid.NewString())))
	want := s.PublicURL("/self-service/login/browser?return_to=" + url.QueryEscape(s.PublicURL("/ui/settings")))
	if loc != want {
		t.Errorf("redirect to %s, want %s", loc, want)
	}
	if loc := location(t, b.Get(s.PublicURL("/ui/settings"))); loc != s.PublicURL("/self-service/settings/browser") {
		t.Errorf("no flow: redirect to %s", loc)
	}
}

func TestValidationErrorsShownNextToFields(t *testing.T) {
	s := apptest.Start(t)
	b := s.Browser(t)
	id, csrf := s.BrowserFlow(t, b, "registration")
	r := b.PostForm(s.PublicURL("/self-service/registration?flow="+id), url.Values{
		"csrf_token": {csrf}, "method": {"password"}, "traits.email": {"ada@example.com"}, "password": {"short"},
	})
	page := b.Get(location(t, r))
	body := string(page.Body)
	for _, want := range []string{`aria-invalid="true"`, `role="alert"`, `aria-describedby="form-password-password-password-msg-0"`, `value="ada@example.com"`} {
		if !strings.Contains(body, want) {
			t.Errorf("page lacks %s:\n%s", want, body)
		}
	}
}

func TestWelcome(t *testing.T) {
	s := apptest.Start(t)
	anon := s.Browser(t)
	if loc := location(t, anon.Get(s.PublicURL("/ui/welcome"))); loc != s.PublicURL("/ui/login") {
		t.Errorf("anonymous welcome: redirect to %s", loc)
	}
	if loc := location(t, anon.Get(s.PublicURL("/ui/"))); loc != s.PublicURL("/ui/welcome") {
		t.Errorf("/ui/: redirect to %s", loc)
	}

	ident := s.CreateIdentity(t, "ada@example.com", "a very secret passphrase 1")
	b := s.BrowserWithSession(t, ident)
	other := s.IssueSession(t, ident, "aal1")
	r := b.Get(s.PublicURL("/ui/welcome"))
	if r.StatusCode != http.StatusOK {
		t.Fatalf("welcome: %d %s", r.StatusCode, r.Body)
	}
	checkPageHeaders(t, r)
	body := string(r.Body)
	for _, want := range []string{"<dt>E-Mail</dt><dd>ada@example.com</dd>", `id="revoke-others"`, s.PublicURL("/self-service/logout?token="), s.PublicURL("/ui/settings")} {
		if !strings.Contains(body, want) {
			t.Errorf("welcome lacks %s", want)
		}
	}

	// The sign-out-others form is CSRF-protected.
	rej := b.PostForm(s.PublicURL("/ui/welcome/sessions/revoke"), url.Values{"csrf_token": {"forged"}})
	if rej.StatusCode != http.StatusForbidden {
		t.Fatalf("forged revoke: status %d", rej.StatusCode)
	}
	native := s.Native(t)
	if w := native.Do(http.MethodGet, s.PublicURL("/sessions/whoami"), nil, http.Header{"X-Session-Token": {other}}); w.StatusCode != http.StatusOK {
		t.Fatalf("the other session died on a forged request: %d", w.StatusCode)
	}

	token := html.UnescapeString(between(body, `name="csrf_token" value="`, `"`))
	ok := b.PostForm(s.PublicURL("/ui/welcome/sessions/revoke"), url.Values{"csrf_token": {token}})
	if loc := location(t, ok); loc != s.PublicURL("/ui/welcome?revoked=1") {
		t.Errorf("revoke: redirect to %s", loc)
	}
	if w := native.Do(http.MethodGet, s.PublicURL("/sessions/whoami"), nil, http.Header{"X-Session-Token": {other}}); w.StatusCode != http.StatusUnauthorized {
		t.Errorf("other session after revoke: whoami %d, want 401", w.StatusCode)
	}
	if w := b.Get(s.PublicURL("/sessions/whoami")); w.StatusCode != http.StatusOK {
		t.Errorf("own session after revoke: whoami %d, want 200", w.StatusCode)
	}
}

func between(s, start, end string) string {
	i := strings.Index(s, start)
	if i < 0 {
		return ""
	}
	s = s[i+len(start):]
	if j := strings.Index(s, end); j >= 0 {
		return s[:j]
	}
	return s
}

func TestErrorPage(t *testing.T) {
	s := apptest.Start(t)
	b := s.Browser(t)
	r := b.Get(s.PublicURL("/ui/error?id=stub:500"))
	if r.StatusCode != http.StatusOK || !strings.Contains(string(r.Body), "This is a stub error.") {
		t.Errorf("stub error page: %d %s", r.StatusCode, r.Body)
	}
	checkPageHeaders(t, r)
	if r := b.Get(s.PublicURL("/ui/error?id=" + uuid.NewString())); r.StatusCode != http.StatusNotFound || !strings.Contains(string(r.Body), `role="alert"`) {
		t.Errorf("unknown error page: %d %s", r.StatusCode, r.Body)
	}

	// A flow error the API stores (a forged CSRF token) is readable on the error page.
	id, _ := s.BrowserFlow(t, b, "login")
	res := b.PostForm(s.PublicURL("/self-service/login?flow="+id), url.Values{"csrf_token": {"forged"}, "method": {"password"}, "identifier": {"a@b.c"}, "password": {"x"}})
	loc := location(t, res)
	if !strings.HasPrefix(loc, s.PublicURL("/ui/error?id=")) {
		t.Fatalf("forged login went to %s", loc)
	}
	page := b.Get(loc)
	if page.StatusCode != http.StatusOK || !strings.Contains(string(page.Body), "security_csrf_violation") {
		t.Errorf("error page: %d %s", page.StatusCode, page.Body)
	}
}

func TestStaticStylesheet(t *testing.T) {
	s := apptest.Start(t)
	r := s.Browser(t).Get(s.PublicURL("/ui/static/style.css"))
	if r.StatusCode != http.StatusOK || !strings.HasPrefix(r.Header.Get("Content-Type"), "text/css") || len(r.Body) > 16<<10 {
		t.Errorf("stylesheet: %d %s, %d bytes", r.StatusCode, r.Header.Get("Content-Type"), len(r.Body))
	}
	if r := s.Browser(t).Get(s.PublicURL("/ui/static/nope.js")); r.StatusCode != http.StatusNotFound {
		t.Errorf("missing static file: %d", r.StatusCode)
	}
}

func TestExpiredFlowStartsAfresh(t *testing.T) {
	s := apptest.Start(t)
	b := s.Browser(t)
	id, _ := s.BrowserFlow(t, b, "login")
	s.Clock.Advance(2 * time.Hour)
	loc := location(t, b.Get(s.PublicURL("/ui/login?flow="+id)))
	if !strings.HasPrefix(loc, s.PublicURL("/self-service/login/browser")) {
		t.Errorf("expired flow: redirect to %s, want a new login flow", loc)
	}
}

// Browsers apply form-action to the redirect after a submission, so the return URLs' origins
// must be allowed or a sign-in that returns to the app would be blocked.
func TestFormActionAllowsReturnOrigins(t *testing.T) {
	s := apptest.Start(t, apptest.WithEnv("SELFSERVICE_DEFAULT_BROWSER_RETURN_URL", "https://app.example.com/home"))
	b := s.Browser(t)
	r := b.Get(location(t, b.Get(s.PublicURL("/self-service/login/browser"))))
	csp := r.Header.Get("Content-Security-Policy")
	if !strings.Contains(csp, "form-action 'self' "+strings.TrimSuffix(s.PublicURL("/"), "/")+" https://app.example.com;") {
		t.Errorf("Content-Security-Policy = %q", csp)
	}
}

func TestSomeoneElsesSettingsFlowStartsAfresh(t *testing.T) {
	s := apptest.Start(t)
	ada := s.BrowserWithSession(t, s.CreateIdentity(t, "ada@example.com", "a very secret passphrase 1"))
	bob := s.BrowserWithSession(t, s.CreateIdentity(t, "bob@example.com", "a very secret passphrase 2"))
	adaFlow := location(t, ada.Get(s.PublicURL("/self-service/settings/browser")))
	if loc := location(t, bob.Get(adaFlow)); loc != s.PublicURL("/self-service/settings/browser") {
		t.Errorf("another identity's flow: redirect to %s, want a new settings flow", loc)
	}
}

// WebAuthn brings a script node: the page loads it with its nonce and integrity, allows it in
// the CSP, and wires the trigger button with the UI's own script instead of an inline handler.
func TestWebAuthnScriptAllowed(t *testing.T) {
	s := apptest.Start(t,
		apptest.WithEnv("SELFSERVICE_METHODS_WEBAUTHN_ENABLED", "true"),
		apptest.WithEnv("SELFSERVICE_METHODS_WEBAUTHN_CONFIG_RP_ID", "localhost"),
		apptest.WithEnv("SELFSERVICE_METHODS_WEBAUTHN_CONFIG_RP_DISPLAY_NAME", "Portico"),
		apptest.WithEnv("SELFSERVICE_METHODS_WEBAUTHN_CONFIG_RP_ORIGIN", "http://localhost"))
	b := s.BrowserWithSession(t, s.CreateIdentity(t, "ada@example.com", "a very secret passphrase 1"))
	r := b.Get(location(t, b.Get(s.PublicURL("/self-service/settings/browser"))))
	body, csp := string(r.Body), r.Header.Get("Content-Security-Policy")
	nonce := between(body, `nonce="`, `"`)
	if nonce == "" || !strings.Contains(csp, "'nonce-"+nonce+"'") {
		t.Errorf("script nonce %q not allowed by %q", nonce, csp)
	}
	for _, want := range []string{`src="` + s.PublicURL("/.well-known/ory/webauthn.js") + `"`, `integrity="sha512-`, `data-portico-onclick="oryWebAuthnRegistration"`, `<script src="/ui/static/triggers.js" defer></script>`} {
		if !strings.Contains(body, want) {
			t.Errorf("settings page lacks %s", want)
		}
	}
}
