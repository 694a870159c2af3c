package oidc_test

import (
	"encoding/base64"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/portico-auth/portico/internal/apptest"
	"github.com/portico-auth/portico/internal/method/oidc/oidctest"
)

// TestWebHookSignUp: registration's after hooks of oidc that parse run on a social sign-up
// before the identity is stored, as for a password sign-up: the app sees the mapped traits
// of an identity that does not exist yet, may change them (stored), or refuse (nothing
// stored, the message on the registration flow).
func TestWebHookSignUp(t *testing.T) {
	var g *rig
	existed := make(chan int, 4)
	app := apptest.StartHookApp(t, func(c apptest.HookCall) (int, string) {
		id, _ := c.Body["identity"].(map[string]any)
		tr, _ := id["traits"].(map[string]any)
		existed <- g.s.Native(t).Get(g.s.AdminURL(fmt.Sprintf("/admin/identities/%v", id["id"]))).StatusCode
		if tr["email"] == g.eveEmail {
			return http.StatusForbidden, `{"messages":[{"instance_ptr":"#","messages":[{"id":4000094,"text":"Social sign-up is closed for you.","type":"error"}]}]}`
		}
		return http.StatusOK, fmt.Sprintf(`{"identity":{"traits":{"email":%q,"name":{"first":"Ada","last":"FromApp"}},"metadata_public":{"source":"hook"}}}`, tr["email"])
	})
	body := "base64://" + base64.StdEncoding.EncodeToString([]byte(`function(ctx) { identity: ctx.identity, flow_type: ctx.flow.type }`))
	op := oidctest.New(t)
	cfg := op.PorticoConfig(mapper) + fmt.Sprintf(`  flows:
    registration:
      after:
        oidc:
          hooks:
            - hook: session
            - hook: web_hook
              config: {url: %s, method: POST, body: %q, response: {parse: true}}
`, app.URL, body)
	g = startWith(t, op, apptest.WithConfig(cfg))

	b := g.s.Browser(t)
	res := b.Get(g.begin(t, b, "registration"))
	if res.StatusCode != http.StatusSeeOther || strings.Contains(res.Header.Get("Location"), "flow=") {
		t.Fatalf("callback: %d to %s %s", res.StatusCode, res.Header.Get("Location"), res.Body)
	}
	if code := hookSaw(t, existed); code != http.StatusNotFound {
		t.Fatalf("the hook ran after the identity was stored (admin answered %d)", code)
	}
	id, ident := g.whoami(t, b)
	if id == "" {
		t.Fatal("no session after signing up")
	}
	tr := ident["traits"].(map[string]any)
	if tr["name"].(map[string]any)["last"] != "FromApp" || ident["metadata_public"].(map[string]any)["source"] != "hook" {
		t.Fatalf("the app's changes were not stored: %v", ident)
	}

	// eve is refused: nothing stored, the message on the registration flow.
	g.op.SignInAs(g.eve)
	b = g.s.Browser(t)
	res = b.Get(g.begin(t, b, "registration"))
	hookSaw(t, existed)
	loc := res.Header.Get("Location")
	if res.StatusCode != http.StatusSeeOther || !strings.Contains(loc, "flow=") {
		t.Fatalf("refused callback: %d to %s", res.StatusCode, loc)
	}
	flowID := apptest.URL(t, loc).Query().Get("flow")
	f := b.Do(http.MethodGet, g.s.PublicURL("/self-service/registration/flows?id="+flowID), nil, http.Header{"Accept": {"application/json"}})
	if !strings.Contains(string(f.Body), "Social sign-up is closed for you.") {
		t.Fatalf("flow without the refusal: %s", f.Body)
	}
	var list []any
	g.s.Native(t).Get(g.s.AdminURL("/admin/identities?credentials_identifier="+url.QueryEscape(g.eveEmail))).JSON(t, &list)
	if len(list) != 0 {
		t.Fatalf("%d identities stored for a refused sign-up", len(list))
	}

	// A sign-up through the login flow (an unknown provider account signs in) runs the same
	// hooks: eve is refused there too, the message on the login flow, nothing stored.
	b = g.s.Browser(t)
	res = b.Get(g.begin(t, b, "login"))
	if code := hookSaw(t, existed); code != http.StatusNotFound {
		t.Fatalf("login sign-up: the hook ran after the identity was stored (admin answered %d)", code)
	}
	loc = res.Header.Get("Location")
	if res.StatusCode != http.StatusSeeOther || !strings.Contains(loc, "flow=") {
		t.Fatalf("refused login callback: %d to %s", res.StatusCode, loc)
	}
	flowID = apptest.URL(t, loc).Query().Get("flow")
	f = b.Do(http.MethodGet, g.s.PublicURL("/self-service/login/flows?id="+flowID), nil, http.Header{"Accept": {"application/json"}})
	if !strings.Contains(string(f.Body), "Social sign-up is closed for you.") {
		t.Fatalf("login flow without the refusal: %s", f.Body)
	}
	g.s.Native(t).Get(g.s.AdminURL("/admin/identities?credentials_identifier="+url.QueryEscape(g.eveEmail))).JSON(t, &list)
	if len(list) != 0 {
		t.Fatalf("%d identities stored for a sign-up refused on the login flow", len(list))
	}
	if id, _ := g.whoami(t, b); id != "" {
		t.Fatal("signed in after a refused sign-up on the login flow")
	}
}

// hookSaw is what the admin API answered the hook app for the identity it was sent, or fails
// the test when the hook was not called.
func hookSaw(t *testing.T, existed chan int) int {
	t.Helper()
	select {
	case code := <-existed:
		return code
	case <-time.After(10 * time.Second):
		t.Fatal("the sign-up's web hook was not called")
		return 0
	}
}
