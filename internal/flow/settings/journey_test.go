package settings_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/portico-auth/portico/internal/apptest"
)

// TestBrowserJourney is a person with a browser: sign in, open settings, change a name, come
// back later and change the password (a refresh login first, after which the change is applied
// without a second submit), then sign in with the new password.
func TestBrowserJourney(t *testing.T) {
	s := apptest.Start(t)
	const email, newPassword = "journey@example.com", "correct horse battery staple"
	s.CreateIdentity(t, email, password)
	b := s.Browser(t)
	s.LoginBrowser(t, b, email, password)
	asJSON := http.Header{"Accept": {"application/json"}}

	openSettings := func() (id, csrf string) {
		t.Helper()
		r := b.Get(s.PublicURL("/self-service/settings/browser"))
		wantStatus(t, r, http.StatusSeeOther)
		id = apptest.URL(t, r.Header.Get("Location")).Query().Get("flow")
		f := b.Do(http.MethodGet, s.PublicURL("/self-service/settings/flows?id="+id), nil, asJSON)
		wantStatus(t, f, http.StatusOK)
		return id, apptest.CSRFToken(t, f)
	}

	// Change a trait.
	id, csrf := openSettings()
	r := b.PostForm(s.PublicURL("/self-service/settings?flow="+id), url.Values{
		"csrf_token": {csrf}, "method": {"profile"}, "traits.email": {email},
		"traits.name.first": {"Augusta"}, "traits.name.last": {"King"},
	})
	wantStatus(t, r, http.StatusSeeOther)
	wantLocation(t, r, s.Config.FlowUIURL("settings")+"?flow="+id)
	f := decodeFlow(t, b.Do(http.MethodGet, s.PublicURL("/self-service/settings/flows?id="+id), nil, asJSON))
	if f.State != "success" || nodeValue(f, "traits.name.first") != "Augusta" {
		t.Fatalf("after the profile change: state %q first name %v", f.State, nodeValue(f, "traits.name.first"))
	}

	// Later: the session is too old to change the password.
	s.Clock.Advance(s.Config.SelfService.Flows.Settings.PrivilegedSessionMaxAge + 1)
	id, csrf = openSettings()
	r = b.PostForm(s.PublicURL("/self-service/settings?flow="+id), url.Values{
		"csrf_token": {csrf}, "method": {"password"}, "password": {newPassword},
	})
	wantStatus(t, r, http.StatusSeeOther)
	back := s.PublicURL("/self-service/settings?flow=" + id)
	wantLocation(t, r, s.PublicURL("/self-service/login/browser?refresh=true&return_to="+url.QueryEscape(back)))

	// The refresh login.
	r = b.Get(r.Header.Get("Location"))
	wantStatus(t, r, http.StatusSeeOther)
	loginID := apptest.URL(t, r.Header.Get("Location")).Query().Get("flow")
	if loginID == "" {
		t.Fatalf("refresh login: sent to %s", r.Header.Get("Location"))
	}
	lf := b.Do(http.MethodGet, s.PublicURL("/self-service/login/flows?id="+loginID), nil, asJSON)
	wantStatus(t, lf, http.StatusOK)
	r = b.PostForm(s.PublicURL("/self-service/login?flow="+loginID), url.Values{
		"csrf_token": {apptest.CSRFToken(t, lf)}, "method": {"password"}, "identifier": {email}, "password": {password},
	})
	wantStatus(t, r, http.StatusSeeOther)
	wantLocation(t, r, back)

	// Back on the settings flow: the parked password change is applied without a second submit.
	r = b.Get(back)
	wantStatus(t, r, http.StatusSeeOther)
	wantLocation(t, r, s.Config.FlowUIURL("settings")+"?flow="+id)
	f = decodeFlow(t, b.Do(http.MethodGet, s.PublicURL("/self-service/settings/flows?id="+id), nil, asJSON))
	if f.State != "success" || strings.Contains(string(f.Identity), "credentials") {
		t.Fatalf("after the password change: state %q", f.State)
	}

	// A new browser signs in with the new password; the old one no longer works.
	s.LoginBrowser(t, s.Browser(t), email, newPassword)
	old := s.Browser(t)
	lid, lcsrf := s.BrowserFlow(t, old, "login")
	r = old.PostForm(s.PublicURL("/self-service/login?flow="+lid), url.Values{
		"csrf_token": {lcsrf}, "method": {"password"}, "identifier": {email}, "password": {password},
	})
	if loc := r.Header.Get("Location"); r.StatusCode != http.StatusSeeOther || !strings.Contains(loc, "flow=") {
		t.Fatalf("old password: %d to %q", r.StatusCode, loc)
	}
}
