package oidc_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/portico-auth/portico/internal/apptest"
	"github.com/portico-auth/portico/internal/method/oidc/oidctest"
	"github.com/portico-auth/portico/internal/text"
)

// TestNoLinkOnUnverifiedAddress: a provider account whose address an existing identity holds,
// but which the provider does not vouch for, is never linked to it (an attacker who controls
// an account at a provider with the victim's address must not get into the victim's
// account): the flow shows 4000027, nothing waits on it, nobody is signed in, and a sign-in
// of the owner on the same flow links nothing.
func TestNoLinkOnUnverifiedAddress(t *testing.T) {
	g := start(t)
	victim := g.s.CreateIdentity(t, g.eveEmail, "the victim's own password")
	g.op.SignInAs(g.eve)
	for _, kind := range []string{"registration", "login"} {
		b := g.s.Browser(t)
		loc := g.backTo(t, b, kind, kind)
		if ids := g.flowMessages(t, b, kind, loc); len(ids) != 1 || ids[0] != text.ErrorValidationDuplicateCredentialsOnOIDCLink {
			t.Errorf("%s: messages %v", kind, ids)
		}
		if id, _ := g.whoami(t, b); id != "" {
			t.Fatalf("%s: signed in", kind)
		}
		if kind == "login" {
			// The owner signs in on that very flow: nothing was waiting, nothing is linked.
			flowID := apptest.URL(t, loc).Query().Get("flow")
			g.password(t, b, flowID, g.eveEmail, "the victim's own password", true)
		}
	}
	if got := g.accounts(t, victim.ID); len(got) != 0 {
		t.Fatalf("the provider was linked to the existing identity: %v", got)
	}
}

// TestAuthorizationEndpointOnAnotherOrigin: a provider whose discovery names an authorisation
// endpoint on another origin than its issuer's (as Cognito's does): the built-in UI's
// form-action allows that origin, the submission is sent there, and the person signs up.
func TestAuthorizationEndpointOnAnotherOrigin(t *testing.T) {
	op := oidctest.New(t)
	op.AuthorizeElsewhere(t)
	g := startWith(t, op)
	issuer := apptest.URL(t, op.Issuer)
	b := g.s.Browser(t)
	id, csrf := g.s.BrowserFlow(t, b, "registration")
	// The provider is discovered in the background from the server's start (a page never
	// fetches it): its endpoint's origin is on the pages once that discovery has answered.
	var page *apptest.Response
	var csp string
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		page = b.Get(g.s.PublicURL("/ui/registration?flow=" + id))
		csp = page.Header.Get("Content-Security-Policy")
		if strings.Contains(csp, " "+op.AuthOrigin) || time.Now().After(deadline) {
			break
		}
	}
	if page.StatusCode != http.StatusOK || !strings.Contains(csp, " "+op.AuthOrigin) {
		t.Fatalf("registration page %d: CSP %q does not allow the authorisation endpoint's origin %s", page.StatusCode, csp, op.AuthOrigin)
	}
	if strings.Contains(csp, " "+issuer.Scheme+"://"+issuer.Host) {
		t.Errorf("CSP %q allows the issuer's origin, where no form goes", csp)
	}
	res := b.PostForm(g.s.PublicURL("/self-service/registration?flow="+id), url.Values{
		"method": {"oidc"}, "provider": {"corp"}, "csrf_token": {csrf},
	})
	if loc := res.Header.Get("Location"); res.StatusCode != http.StatusSeeOther || !strings.HasPrefix(loc, op.AuthOrigin+"/authorize?") {
		t.Fatalf("submit: %d to %q, want the authorisation endpoint on %s", res.StatusCode, loc, op.AuthOrigin)
	}
	done := b.Get(g.atProvider(t, b, res.Header.Get("Location")))
	if done.StatusCode != http.StatusSeeOther {
		t.Fatalf("callback: %d %s", done.StatusCode, done.Body)
	}
	if id, _ := g.whoami(t, b); id == "" || len(g.accounts(t, uuid.MustParse(id))) != 1 {
		t.Fatalf("not signed up through the provider (identity %q)", id)
	}
}

// TestBuiltInUIButtons: the built-in UI renders one button per provider with its label, and
// lets its form go to the provider.
func TestBuiltInUIButtons(t *testing.T) {
	g := start(t)
	b := g.s.Browser(t)
	for kind, label := range map[string]string{"login": "Sign in with Corp ID", "registration": "Sign up with Corp ID"} {
		id, _ := g.s.BrowserFlow(t, b, kind)
		page := b.Get(g.s.PublicURL("/ui/" + kind + "?flow=" + id))
		body := string(page.Body)
		if page.StatusCode != http.StatusOK || !strings.Contains(body, `name="provider" value="corp"`) || !strings.Contains(body, label) {
			t.Fatalf("%s page: %d\n%s", kind, page.StatusCode, body)
		}
		// The button's form is redirected to the provider: the page's form-action allows it
		// (browsers apply form-action to that redirect).
		op := apptest.URL(t, g.op.Issuer)
		if csp := page.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "form-action 'self'") || !strings.Contains(csp, " "+op.Scheme+"://"+op.Host) {
			t.Errorf("%s page CSP %q does not allow the provider %s", kind, csp, op.Host)
		}
	}
}
