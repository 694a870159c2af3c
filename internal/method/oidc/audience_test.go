package oidc_test

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	gooidc "github.com/coreos/go-oidc/v3/oidc"

	"github.com/portico-auth/portico/internal/apierr"
	"github.com/portico-auth/portico/internal/apptest"
	"github.com/portico-auth/portico/internal/method/oidc"
	"github.com/portico-auth/portico/internal/method/oidc/oidctest"
	"github.com/portico-auth/portico/internal/text"
)

// TestCallbackAnotherClientsIDToken (issue 16): a browser's or an SPA's callback whose token
// reply carries an ID token the provider issued to another of its clients (validly signed,
// same person, same nonce, audience the other client's id) is refused like every hostile
// token: the browser goes back to its flow, which shows the generic error; nobody is signed in
// and no identity is stored. mobile-app is refused too: additional_id_token_audiences are for
// the ID tokens native apps submit, not for the callback's token reply. The ID tokens come from
// the real provider, swapped into its token reply by a reverse proxy in front of its token
// endpoint (token_url); through the same proxy, honest replies sign in.
func TestCallbackAnotherClientsIDToken(t *testing.T) {
	op := oidctest.New(t)
	op.ProxyTokens(t)
	g := startWith(t, op)
	ctx := context.Background()
	disco, err := gooidc.NewProvider(ctx, op.Issuer)
	if err != nil {
		t.Fatal(err)
	}
	for _, client := range oidctest.AppClients {
		for _, kind := range []string{"registration", "login"} {
			for _, ui := range []string{"browser", "spa"} {
				t.Run(client+"/"+kind+"/"+ui, func(t *testing.T) {
					g.op.SwapIDTokens(client)
					defer g.op.SwapIDTokens("")
					before := len(g.op.SwappedIDTokens())
					c, authURL := g.toProvider(t, ui, kind)
					res := c.Get(g.atProvider(t, c, authURL))
					loc := res.Header.Get("Location")
					if res.StatusCode != http.StatusSeeOther || !strings.HasPrefix(loc, g.s.Config.FlowUIURL(kind)+"?") {
						t.Fatalf("callback: %d to %q %s", res.StatusCode, loc, res.Body)
					}
					if ids := g.flowMessages(t, c, kind, loc); len(ids) != 1 || ids[0] != text.ErrorValidationGeneric {
						t.Errorf("flow messages %v", ids)
					}
					if id, _ := g.whoami(t, c); id != "" {
						t.Fatal("signed in with another client's ID token")
					}

					// The token Portico refused is genuine: the provider's signature, ada,
					// the nonce Portico sent, for the other client and not for Portico.
					swapped := g.op.SwappedIDTokens()
					if len(swapped) != before+1 {
						t.Fatalf("the proxy swapped %d tokens, want 1", len(swapped)-before)
					}
					idt, err := disco.Verifier(&gooidc.Config{ClientID: client}).Verify(ctx, swapped[before])
					if err != nil {
						t.Fatalf("the swapped token does not verify for %s: %v", client, err)
					}
					if idt.Subject != g.ada || idt.Nonce != apptest.URL(t, authURL).Query().Get("nonce") || slices.Contains(idt.Audience, g.op.ClientID) {
						t.Fatalf("swapped token: sub %q, nonce %q, aud %v", idt.Subject, idt.Nonce, idt.Audience)
					}
				})
			}
		}
	}

	if _, err := g.s.App.Store.FindByCredentialsIdentifier(ctx, oidc.CredentialsType, "corp:"+g.ada); !errors.Is(err, apierr.ErrNotFound) {
		t.Fatalf("an identity was stored (%v)", err)
	}
	list := g.s.Native(t).Get(g.s.AdminURL("/admin/identities?credentials_identifier=" + url.QueryEscape(g.adaEmail)))
	if list.StatusCode != http.StatusOK || strings.TrimSpace(string(list.Body)) != "[]" {
		t.Fatalf("identities with ada's address: %d %s", list.StatusCode, list.Body)
	}

	// Through the same proxy, the provider's own reply signs ada up.
	b := g.s.Browser(t)
	b.Get(g.begin(t, b, "registration"))
	if id, _ := g.whoami(t, b); id == "" {
		t.Fatal("the honest reply through the proxy did not sign up")
	}
}

// toProvider starts a flow of kind in a new browser (ui "browser") or SPA ("spa"), submits
// the oidc method and returns the client and the authorisation URL it is sent to.
func (g *rig) toProvider(t *testing.T, ui, kind string) (*apptest.Client, string) {
	t.Helper()
	if ui == "browser" {
		c := g.s.Browser(t)
		res := g.submit(t, c, kind)
		if res.StatusCode != http.StatusSeeOther {
			t.Fatalf("submit %s: %d %s", kind, res.StatusCode, res.Body)
		}
		return c, res.Header.Get("Location")
	}
	c := g.s.SPA(t)
	r := c.Get(g.s.PublicURL("/self-service/" + kind + "/browser"))
	res := c.PostJSON(g.s.PublicURL("/self-service/"+kind+"?flow="+r.Map(t)["id"].(string)), map[string]any{
		"method": "oidc", "provider": "corp", "csrf_token": apptest.CSRFToken(t, r)})
	to, _ := res.Map(t)["redirect_browser_to"].(string)
	if res.StatusCode != http.StatusUnprocessableEntity || to == "" {
		t.Fatalf("SPA submit %s: %d %s", kind, res.StatusCode, res.Body)
	}
	// The SPA sends the browser to the provider: the callback is a navigation.
	c.Header.Set("Accept", "text/html")
	return c, to
}
