package oidc_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/portico-auth/portico/internal/text"
)

// TestNoLinkOnAddress: a provider account whose address an existing identity holds is never
// linked to it, verified or not (an attacker who controls an account at a provider with the
// victim's address must not get into the victim's account): the flow shows 4000027, the
// existing identity keeps its credentials, and nobody is signed in.
func TestNoLinkOnAddress(t *testing.T) {
	g := start(t)
	victim := g.s.CreateIdentity(t, g.eveEmail, "the victim's own password")
	for _, who := range []string{g.eve, g.ada} {
		if who == g.ada {
			// ada's provider address is verified; the existing account holds it too.
			g.s.CreateIdentity(t, g.adaEmail, "ada's own password")
		}
		g.op.SignInAs(who)
		for _, kind := range []string{"registration", "login"} {
			b := g.s.Browser(t)
			res := b.Get(g.begin(t, b, kind))
			loc := res.Header.Get("Location")
			if res.StatusCode != http.StatusSeeOther || !strings.HasPrefix(loc, g.s.Config.FlowUIURL(kind)) {
				t.Fatalf("%s/%s: %d to %s", who, kind, res.StatusCode, loc)
			}
			if ids := g.flowMessages(t, b, kind, loc); len(ids) != 1 || ids[0] != text.ErrorValidationDuplicateCredentialsOnOIDCLink {
				t.Errorf("%s/%s: messages %v", who, kind, ids)
			}
			if id, _ := g.whoami(t, b); id != "" {
				t.Fatalf("%s/%s: signed in", who, kind)
			}
		}
	}
	r := g.s.Native(t).Get(g.s.AdminURL("/admin/identities/" + victim.ID.String()))
	if strings.Contains(string(r.Body), `"oidc"`) {
		t.Fatalf("the provider was linked to the existing identity: %s", r.Body)
	}
	// The owner still signs in with the password.
	g.s.LoginBrowser(t, g.s.Browser(t), g.eveEmail, "the victim's own password")
}

// TestBuiltInUIButtons: the built-in UI renders one button per provider with its label.
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
	}
}
