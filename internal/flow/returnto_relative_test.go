package flow_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/portico-auth/portico/internal/apptest"
)

// The relative return_to of issue 12 item 3: Kratos keeps and echoes return_to as the client
// gave it, in every flow, and resolves a relative one against default_browser_return_url's
// origin only when it sends a browser there (a redirect or continue_with).
const (
	relReturnTo   = "/relative/after?tab=1"
	defaultReturn = "http://127.0.0.1:4455/home"
	resolvedTo    = "http://127.0.0.1:4455/relative/after?tab=1"
)

func startRelative(t *testing.T) *apptest.Server {
	t.Helper()
	return apptest.Start(t, apptest.WithEnv("SELFSERVICE_DEFAULT_BROWSER_RETURN_URL", defaultReturn))
}

func uniqueEmail() string { return "rel-" + uuid.NewString() + "@example.com" }

const relPassword = "a relative password 4 tests"

func echoed(t *testing.T, what string, r *apptest.Response) string {
	t.Helper()
	if r.StatusCode != http.StatusOK {
		t.Fatalf("%s: %d %s", what, r.StatusCode, r.Body)
	}
	got, _ := r.Map(t)["return_to"].(string)
	if got != relReturnTo {
		t.Errorf("%s: return_to = %q, want it as given (%q)", what, got, relReturnTo)
	}
	return r.Map(t)["id"].(string)
}

func continueTo(t *testing.T, what string, r *apptest.Response) {
	t.Helper()
	continueWith(t, what, r, true)
}

// continueWith checks the reply's redirect_browser_to continue_with item: it must be the
// resolved return_to, and must be there when required.
func continueWith(t *testing.T, what string, r *apptest.Response, required bool) {
	t.Helper()
	if r.StatusCode != http.StatusOK {
		t.Fatalf("%s: %d %s", what, r.StatusCode, r.Body)
	}
	var body struct {
		ContinueWith []struct {
			Action            string `json:"action"`
			RedirectBrowserTo string `json:"redirect_browser_to"`
		} `json:"continue_with"`
	}
	r.JSON(t, &body)
	for _, c := range body.ContinueWith {
		if c.Action == "redirect_browser_to" {
			if c.RedirectBrowserTo != resolvedTo {
				t.Errorf("%s: redirect_browser_to = %q, want %q", what, c.RedirectBrowserTo, resolvedTo)
			}
			return
		}
	}
	if required {
		t.Errorf("%s: no redirect_browser_to in %s", what, r.Body)
	}
}

func sentTo(t *testing.T, what string, r *apptest.Response) {
	t.Helper()
	if r.StatusCode != http.StatusSeeOther || r.Header.Get("Location") != resolvedTo {
		t.Errorf("%s: %d to %q, want 303 to %q", what, r.StatusCode, r.Header.Get("Location"), resolvedTo)
	}
}

func TestRelativeReturnToLogin(t *testing.T) {
	s := startRelative(t)
	email := uniqueEmail()
	s.CreateIdentity(t, email, relPassword)
	q := "?return_to=" + url.QueryEscape(relReturnTo)

	// API flow: echoed as given.
	echoed(t, "login api flow", s.Native(t).Get(s.PublicURL("/self-service/login/api"+q)))

	// SPA: echoed on creation and on read; the success says where the browser goes, resolved.
	spa := s.SPA(t)
	id := echoed(t, "login browser flow (JSON)", spa.Get(s.PublicURL("/self-service/login/browser"+q)))
	f := spa.Get(s.PublicURL("/self-service/login/flows?id=" + id))
	echoed(t, "get login flow", f)
	continueTo(t, "login success (JSON)", spa.PostJSON(s.PublicURL("/self-service/login?flow="+id),
		map[string]any{"method": "password", "identifier": email, "password": relPassword, "csrf_token": apptest.CSRFToken(t, f)}))

	// An HTML form: 303 to the resolved URL.
	b := s.Browser(t)
	res := b.Get(s.PublicURL("/self-service/login/browser" + q))
	id = apptest.URL(t, res.Header.Get("Location")).Query().Get("flow")
	f = b.Do(http.MethodGet, s.PublicURL("/self-service/login/flows?id="+id), nil, http.Header{"Accept": {"application/json"}})
	echoed(t, "get login flow (browser)", f)
	sentTo(t, "login success (form)", b.PostForm(s.PublicURL("/self-service/login?flow="+id), url.Values{
		"method": {"password"}, "identifier": {email}, "password": {relPassword}, "csrf_token": {apptest.CSRFToken(t, f)},
	}))

	// Signed in already: a new browser login is sent straight to the resolved return_to.
	sentTo(t, "login with a session", b.Get(s.PublicURL("/self-service/login/browser"+q)))
}

func TestRelativeReturnToRegistration(t *testing.T) {
	s := startRelative(t)
	q := "?return_to=" + url.QueryEscape(relReturnTo)
	traits := func(email string) map[string]any {
		return map[string]any{"email": email, "name": map[string]any{"first": "Ada", "last": "Lovelace"}}
	}
	echoed(t, "registration api flow", s.Native(t).Get(s.PublicURL("/self-service/registration/api"+q)))

	spa := s.SPA(t)
	id := echoed(t, "registration browser flow (JSON)", spa.Get(s.PublicURL("/self-service/registration/browser"+q)))
	f := spa.Get(s.PublicURL("/self-service/registration/flows?id=" + id))
	echoed(t, "get registration flow", f)
	continueTo(t, "registration success (JSON)", spa.PostJSON(s.PublicURL("/self-service/registration?flow="+id),
		map[string]any{"method": "password", "password": relPassword, "traits": traits(uniqueEmail()), "csrf_token": apptest.CSRFToken(t, f)}))

	b := s.Browser(t)
	res := b.Get(s.PublicURL("/self-service/registration/browser" + q))
	id = apptest.URL(t, res.Header.Get("Location")).Query().Get("flow")
	f = b.Do(http.MethodGet, s.PublicURL("/self-service/registration/flows?id="+id), nil, http.Header{"Accept": {"application/json"}})
	echoed(t, "get registration flow (browser)", f)
	email := uniqueEmail()
	sentTo(t, "registration success (form)", b.PostForm(s.PublicURL("/self-service/registration?flow="+id), url.Values{
		"method": {"password"}, "password": {relPassword}, "traits.email": {email},
		"traits.name.first": {"Ada"}, "traits.name.last": {"Lovelace"}, "csrf_token": {apptest.CSRFToken(t, f)},
	}))
}

func TestRelativeReturnToSettings(t *testing.T) {
	s := startRelative(t)
	ident := s.CreateIdentity(t, uniqueEmail(), relPassword)
	q := "?return_to=" + url.QueryEscape(relReturnTo)
	profile := func(csrf string) map[string]any {
		return map[string]any{"method": "profile", "csrf_token": csrf,
			"traits": map[string]any{"email": nil, "name": map[string]any{"first": "Grace", "last": "Hopper"}}}
	}

	// Native: echoed as given.
	app := s.Native(t)
	tok := s.IssueSession(t, ident, "aal1")
	app.Header.Set("X-Session-Token", tok)
	echoed(t, "settings api flow", app.Get(s.PublicURL("/self-service/settings/api"+q)))

	// SPA: echoed on creation and read; the success's continue_with is resolved.
	spa := s.SPA(t)
	spa.SetSessionCookie(s, s.IssueSession(t, ident, "aal1"))
	id := echoed(t, "settings browser flow (JSON)", spa.Get(s.PublicURL("/self-service/settings/browser"+q)))
	f := spa.Get(s.PublicURL("/self-service/settings/flows?id=" + id))
	echoed(t, "get settings flow", f)
	body := profile(apptest.CSRFToken(t, f))
	var cur map[string]any
	f.JSON(t, &cur)
	body["traits"].(map[string]any)["email"] = cur["identity"].(map[string]any)["traits"].(map[string]any)["email"]
	r := spa.PostJSON(s.PublicURL("/self-service/settings?flow="+id), body)
	// Whether a settings success carries continue_with is issue 12 item 5 (settings' own
	// tests); where it does, it is the resolved URL.
	continueWith(t, "settings success (JSON)", r, false)
	if got, _ := r.Map(t)["return_to"].(string); got != relReturnTo {
		t.Errorf("settings success: return_to = %q, want %q", got, relReturnTo)
	}

	// An HTML form: 303 to the resolved URL.
	b := s.BrowserWithSession(t, ident)
	res := b.Get(s.PublicURL("/self-service/settings/browser" + q))
	id = apptest.URL(t, res.Header.Get("Location")).Query().Get("flow")
	f = b.Do(http.MethodGet, s.PublicURL("/self-service/settings/flows?id="+id), nil, http.Header{"Accept": {"application/json"}})
	echoed(t, "get settings flow (browser)", f)
	form := url.Values{"method": {"profile"}, "csrf_token": {apptest.CSRFToken(t, f)},
		"traits.email": {body["traits"].(map[string]any)["email"].(string)}, "traits.name.first": {"Ada"}, "traits.name.last": {"L"}}
	sentTo(t, "settings success (form)", b.PostForm(s.PublicURL("/self-service/settings?flow="+id), form))
}

// TestRelativeReturnToLogout: logout has no stored flow; like Kratos, its logout_url carries
// the resolved return_to (Kratos validates and resolves it there), and signing out sends the
// browser to it.
func TestRelativeReturnToLogout(t *testing.T) {
	s := startRelative(t)
	ident := s.CreateIdentity(t, uniqueEmail(), relPassword)
	b := s.BrowserWithSession(t, ident)
	r := b.Do(http.MethodGet, s.PublicURL("/self-service/logout/browser?return_to="+url.QueryEscape(relReturnTo)), nil,
		http.Header{"Accept": {"application/json"}})
	if r.StatusCode != http.StatusOK {
		t.Fatalf("logout flow: %d %s", r.StatusCode, r.Body)
	}
	logoutURL := r.Map(t)["logout_url"].(string)
	if got := apptest.URL(t, logoutURL).Query().Get("return_to"); got != resolvedTo {
		t.Errorf("logout_url return_to = %q, want %q", got, resolvedTo)
	}
	sentTo(t, "logout", b.Get(logoutURL))

	// A relative return_to on the logout URL itself is resolved the same way.
	b = s.BrowserWithSession(t, ident)
	r = b.Do(http.MethodGet, s.PublicURL("/self-service/logout/browser"), nil, http.Header{"Accept": {"application/json"}})
	u := r.Map(t)["logout_url"].(string)
	if strings.Contains(u, "return_to") {
		t.Fatalf("logout_url without return_to carries one: %s", u)
	}
	sentTo(t, "logout (relative on the URL)", b.Get(u+"&return_to="+url.QueryEscape(relReturnTo)))
}
