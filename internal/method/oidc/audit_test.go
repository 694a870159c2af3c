package oidc_test

import (
	"net/http"
	"net/url"
	"testing"

	"github.com/portico-auth/portico/internal/apptest"
)

// TestRefusedCallbackTrail: a person signed in with a password who re-authenticates
// (refresh) with a provider account that belongs to another identity is refused, and the
// refusal is a failed oidc sign-in under the signed-in identity, with its session.
func TestRefusedCallbackTrail(t *testing.T) {
	g := start(t)
	g.signUp(t) // the provider account's own identity
	email := apptest.Email("refresh")
	g.s.CreateIdentity(t, email, "a long enough password")
	b := g.s.Browser(t)
	g.s.LoginBrowser(t, b, email, "a long enough password")

	res := b.Get(g.s.PublicURL("/self-service/login/browser?refresh=true"))
	id := apptest.URL(t, res.Header.Get("Location")).Query().Get("flow")
	if res.StatusCode != http.StatusSeeOther || id == "" {
		t.Fatalf("refresh flow: %d %s", res.StatusCode, res.Header.Get("Location"))
	}
	csrf := apptest.CSRFToken(t, b.Do(http.MethodGet, g.s.PublicURL("/self-service/login/flows?id="+id), nil, http.Header{"Accept": {"application/json"}}))
	res = b.PostForm(g.s.PublicURL("/self-service/login?flow="+id), url.Values{
		"method": {"oidc"}, "provider": {"corp"}, "csrf_token": {csrf},
	})
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("submit: %d %s", res.StatusCode, res.Body)
	}
	named0, anonymous0 := g.s.FailedSignIns(t, "oidc")
	if res = b.Get(g.atProvider(t, b, res.Header.Get("Location"))); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("callback: %d %s", res.StatusCode, res.Body)
	}
	if named, anonymous := g.s.FailedSignIns(t, "oidc"); named != named0+1 || anonymous != anonymous0 {
		t.Fatalf("failed oidc sign-ins recorded: %d named, %d anonymous; want 1 named", named-named0, anonymous-anonymous0)
	}
	if got := g.s.AuditTypes(t, email); got != "sign_in_failed sign_in" {
		t.Fatalf("trail of the signed-in identity %q, want its sign-in then the refusal", got)
	}
}
