package oidc_test

import (
	"context"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/portico-auth/portico/internal/apptest"
	"github.com/portico-auth/portico/internal/identity"
	"github.com/portico-auth/portico/internal/method/oidc"
	"github.com/portico-auth/portico/internal/session"
	"github.com/portico-auth/portico/internal/text"
)

// oidcNode is a node of the oidc group as a client sees it.
type oidcNode struct {
	Name, Value string
	Label       int
	Provider    any
}

// oidcNodes are the oidc group's nodes of a flow, in order.
func oidcNodes(f *apptest.Flow) []oidcNode {
	var out []oidcNode
	ui, _ := f.Body["ui"].(map[string]any)
	nodes, _ := ui["nodes"].([]any)
	for _, n := range nodes {
		m := n.(map[string]any)
		if m["group"] != "oidc" {
			continue
		}
		a := m["attributes"].(map[string]any)
		node := oidcNode{Name: a["name"].(string)}
		node.Value, _ = a["value"].(string)
		if l, ok := m["meta"].(map[string]any)["label"].(map[string]any); ok {
			node.Label = int(l["id"].(float64))
			node.Provider = l["context"].(map[string]any)["provider"]
		}
		if a["type"] != "submit" || a["node_type"] != "input" {
			return nil
		}
		out = append(out, node)
	}
	return out
}

// settingsClient is a FlowClient of the settings flow for the identity's fresh session:
// browser and SPA hold the session cookie, the native app sends the token.
func (g *rig) settingsClient(t *testing.T, as string, ident *identity.Identity) *apptest.FlowClient {
	t.Helper()
	token := g.s.IssueSession(t, ident, session.AAL1)
	fc := &apptest.FlowClient{S: g.s, Kind: "settings", As: as}
	switch as {
	case "browser":
		fc.C = g.s.Browser(t)
	case "spa":
		fc.C = g.s.SPA(t)
	default:
		fc.C = g.s.Native(t)
		fc.C.Header.Set("X-Session-Token", token)
		return fc
	}
	fc.C.SetSessionCookie(g.s, token)
	return fc
}

// linkAtProvider submits link=corp as a browser or SPA and follows the browser through the
// provider and back: the settings flow the callback shows is returned.
func (g *rig) linkAtProvider(t *testing.T, fc *apptest.FlowClient, f *apptest.Flow) *apptest.Flow {
	t.Helper()
	res := fc.Submit(t, f, map[string]string{"link": "corp"})
	var to string
	if fc.As == "browser" {
		to = res.Raw.Header.Get("Location")
	} else {
		e, _ := res.Body["error"].(map[string]any)
		if res.Status != http.StatusUnprocessableEntity || e["id"] != "browser_location_change_required" {
			t.Fatalf("SPA link: %d %v", res.Status, res.Body)
		}
		to, _ = res.Body["redirect_browser_to"].(string)
		fc.C.Header.Set("Accept", "text/html")
		defer fc.C.Header.Set("Accept", "application/json")
	}
	back := fc.C.Get(g.atProvider(t, fc.C, to))
	loc := back.Header.Get("Location")
	if back.StatusCode != http.StatusSeeOther || !strings.HasPrefix(loc, g.s.Config.FlowUIURL("settings")) {
		t.Fatalf("callback: %d to %q %s", back.StatusCode, loc, back.Body)
	}
	return fc.Read(t, apptest.URL(t, loc).Query().Get("flow"))
}

// accounts are the identity's linked provider accounts as stored.
func (g *rig) accounts(t *testing.T, id uuid.UUID) []string {
	t.Helper()
	ident, err := g.s.App.Store.GetIdentity(context.Background(), id, true)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, a := range must(oidc.ReadConfig(ident)).Providers {
		out = append(out, oidc.Identifier(a.Provider, a.Subject))
	}
	slices.Sort(out)
	return out
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

// TestSettingsLinkUnlink: a browser and an SPA link the provider in settings (to the provider
// and back to the same flow, state success), link a second account of the same provider
// (Kratos #3909), see unlink buttons for what they can do without, and unlink both.
func TestSettingsLinkUnlink(t *testing.T) {
	for _, as := range []string{"browser", "spa"} {
		t.Run(as, func(t *testing.T) {
			g := start(t)
			email := "owner-" + uuid.NewString() + "@example.com"
			owner := g.s.CreateIdentity(t, email, "the owner's password")
			fc := g.settingsClient(t, as, owner)

			f := fc.Start(t)
			if got := oidcNodes(f); !slices.Equal(got, []oidcNode{{Name: "link", Value: "corp", Label: text.InfoSettingsLinkProvider, Provider: "Corp ID"}}) {
				t.Fatalf("nodes before linking: %+v", got)
			}
			done := g.linkAtProvider(t, fc, f)
			if done.State != "success" || !done.HasMessage(text.InfoSettingsUpdateSuccess) {
				t.Fatalf("after the callback: %s %v", done.State, done.MessageIDs())
			}
			if got := g.accounts(t, owner.ID); !slices.Equal(got, []string{"corp:" + g.ada}) {
				t.Fatalf("linked: %v", got)
			}
			f = fc.Start(t)
			want := []oidcNode{
				{Name: "link", Value: "corp", Label: text.InfoSettingsLinkProvider, Provider: "Corp ID"},
				{Name: "unlink", Value: "corp", Label: text.InfoSettingsUnlinkProvider, Provider: "Corp ID"},
			}
			if got := oidcNodes(f); !slices.Equal(got, want) {
				t.Fatalf("nodes after linking: %+v", got)
			}

			// The same account again is refused; a second account at the provider is linked.
			again := g.linkAtProvider(t, fc, f)
			if again.State == "success" || len(g.accounts(t, owner.ID)) != 1 {
				t.Fatalf("the same account linked twice: %s %v", again.State, g.accounts(t, owner.ID))
			}
			g.op.SignInAs(g.eve)
			if done := g.linkAtProvider(t, fc, fc.Start(t)); done.State != "success" {
				t.Fatalf("second account: %s %v", done.State, done.MessageIDs())
			}
			if got := g.accounts(t, owner.ID); !slices.Equal(got, []string{"corp:" + g.ada, "corp:" + g.eve}) {
				t.Fatalf("linked: %v", got)
			}
			f = fc.Start(t)
			var unlinks []string
			for _, n := range oidcNodes(f) {
				if n.Name == "unlink" {
					unlinks = append(unlinks, n.Value)
				}
			}
			slices.Sort(unlinks)
			if !slices.Equal(unlinks, []string{"corp:" + g.ada, "corp:" + g.eve}) {
				t.Fatalf("unlink buttons for two accounts: %v", unlinks)
			}

			// Unlinking: one account, then the other (the password stays a way to sign in).
			for i, v := range []string{"corp:" + g.eve, "corp"} {
				res := fc.Submit(t, fc.Start(t), map[string]string{"unlink": v})
				if res.State != "success" {
					t.Fatalf("unlink %s: %d %s %v", v, res.Status, res.State, res.MessageIDs())
				}
				if got := g.accounts(t, owner.ID); len(got) != 1-i {
					t.Fatalf("after unlinking %s: %v", v, got)
				}
			}
			if n := oidcNodes(fc.Start(t)); len(n) != 1 || n[0].Name != "link" {
				t.Fatalf("nodes after unlinking: %+v", n)
			}
			// The person still signs in with the password; the provider account is free again.
			g.s.LoginBrowser(t, g.s.Browser(t), email, "the owner's password")
		})
	}
}

// TestSettingsNative: a native app unlinks with its session token, and links with the ID token
// the provider's SDK gave it (a browser cannot be sent to the provider from an API flow).
func TestSettingsNative(t *testing.T) {
	g := start(t)
	owner := g.s.CreateIdentity(t, "owner-"+uuid.NewString()+"@example.com", "the owner's password")
	fc := g.settingsClient(t, "native", owner)
	f := fc.Start(t)
	if res := fc.Submit(t, f, map[string]string{"link": "corp"}); res.Status != http.StatusBadRequest || len(g.accounts(t, owner.ID)) != 0 {
		t.Fatalf("link without an ID token: %d %v", res.Status, res.Body)
	}
	res := fc.Submit(t, fc.Start(t), map[string]string{"link": "corp", "id_token": g.op.IDToken(t, "mobile-app", "n-1"), "id_token_nonce": "n-1"})
	if res.Status != http.StatusOK || res.State != "success" {
		t.Fatalf("native link: %d %v", res.Status, res.Body)
	}
	if got := g.accounts(t, owner.ID); !slices.Equal(got, []string{"corp:" + g.ada}) {
		t.Fatalf("linked: %v", got)
	}
	res = fc.Submit(t, fc.Start(t), map[string]string{"method": "oidc", "unlink": "corp"})
	if res.Status != http.StatusOK || res.State != "success" || len(g.accounts(t, owner.ID)) != 0 {
		t.Fatalf("native unlink: %d %v", res.Status, res.Body)
	}
}

// TestSettingsPrivileged: linking and unlinking need a privileged session: an old session is
// sent to re-authenticate (403 session_refresh_required for JSON) and nothing changes.
func TestSettingsPrivileged(t *testing.T) {
	g := start(t)
	owner := g.s.CreateIdentity(t, "owner-"+uuid.NewString()+"@example.com", "the owner's password")
	fc := g.settingsClient(t, "spa", owner)
	g.s.Clock.Advance(2 * time.Hour)
	for _, v := range []map[string]string{{"link": "corp"}, {"unlink": "corp"}} {
		res := fc.Submit(t, fc.Start(t), v)
		e, _ := res.Body["error"].(map[string]any)
		if res.Status != http.StatusForbidden || e["id"] != "session_refresh_required" {
			t.Fatalf("%v with an old session: %d %v", v, res.Status, res.Body)
		}
	}
	if got := g.accounts(t, owner.ID); len(got) != 0 {
		t.Fatalf("linked: %v", got)
	}
}

// TestSettingsUnlinkLast: an identity that signs in only with its provider account is shown
// no unlink button, and an unlink submitted anyway is refused with Kratos's message; the
// account stays linked and signs in.
func TestSettingsUnlinkLast(t *testing.T) {
	g := start(t)
	b, id := g.signUp(t)
	fc := &apptest.FlowClient{S: g.s, C: b, Kind: "settings", As: "browser"}
	f := fc.Start(t)
	if n := oidcNodes(f); len(n) != 1 || n[0].Name != "link" {
		t.Fatalf("nodes of a social-only identity: %+v", n)
	}
	res := fc.Submit(t, f, map[string]string{"unlink": "corp"})
	if res.State == "success" || len(res.MessageIDs()) != 1 || res.MessageIDs()[0] != text.ErrorValidationGeneric ||
		!strings.Contains(string(res.Raw.Body)+flowText(res), "can not unlink non-existing OpenID Connect connection") {
		t.Fatalf("unlinking the last way: %s %v %s", res.State, res.MessageIDs(), flowText(res))
	}
	if got := g.accounts(t, uuid.MustParse(id)); len(got) != 1 {
		t.Fatalf("unlinked: %v", got)
	}
	b2 := g.s.Browser(t)
	b2.Get(g.begin(t, b2, "login"))
	if again, _ := g.whoami(t, b2); again != id {
		t.Fatal("the provider no longer signs in")
	}
}

// flowText is the text of a flow's messages.
func flowText(f *apptest.Flow) string {
	var out []string
	ui, _ := f.Body["ui"].(map[string]any)
	for _, m := range ui["messages"].([]any) {
		out = append(out, m.(map[string]any)["text"].(string))
	}
	return strings.Join(out, "\n")
}
