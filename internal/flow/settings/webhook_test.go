package settings_test

import (
	"encoding/base64"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/portico-auth/portico/internal/apptest"
	"github.com/portico-auth/portico/internal/session"
)

// withProfileHook is a fixture whose profile changes pass a parse web hook of app.
func withProfileHook(t *testing.T, app *apptest.HookApp) (*fixture, string) {
	t.Helper()
	body := "base64://" + base64.StdEncoding.EncodeToString([]byte(`function(ctx) { identity: ctx.identity, flow_id: ctx.flow.id }`))
	s := apptest.Start(t, apptest.WithConfig(fmt.Sprintf(`selfservice:
  flows:
    settings:
      after:
        profile:
          hooks:
            - hook: web_hook
              config: {url: %s, method: POST, body: %q, response: {parse: true}, auth: {type: basic_auth, config: {user: portico, password: hook-pw}}}
`, app.URL, body)))
	// Its own address: tests may share one database (PORTICO_TEST_DSN).
	email := apptest.Email("profile")
	id := s.CreateIdentity(t, email, password)
	return &fixture{s: s, ident: id, token: s.IssueSession(t, id, session.AAL1)}, email
}

// TestWebHookProfile: a parse hook on the profile method refuses a change with a message on
// the field it names (SPA, browser), nothing stored; or sets the traits and metadata the
// change is stored with (native app).
func TestWebHookProfile(t *testing.T) {
	app := apptest.StartHookApp(t, func(c apptest.HookCall) (int, string) {
		if u, p, _ := (&http.Request{Header: c.Header}).BasicAuth(); u != "portico" || p != "hook-pw" {
			return http.StatusUnauthorized, ""
		}
		id, _ := c.Body["identity"].(map[string]any)
		tr, _ := id["traits"].(map[string]any)
		name, _ := tr["name"].(map[string]any)
		if name["first"] == "Mallory" {
			return http.StatusUnprocessableEntity, `{"messages":[{"instance_ptr":"#/traits/name/first","messages":[{"id":4000097,"text":"Pick another name.","type":"error"}]}]}`
		}
		name["last"] = strings.ToUpper(fmt.Sprint(name["last"]))
		// A hook can change traits and metadata, nothing else: not the state, not addresses.
		return http.StatusOK, fmt.Sprintf(`{"identity":{"traits":{"email":%q,"name":{"first":%q,"last":%q}},
			"metadata_public":{"checked":true},"metadata_admin":{"crm":"c-1"},"state":"inactive",
			"verifiable_addresses":[{"value":%q,"via":"email","verified":true,"status":"completed"}]}}`,
			tr["email"], name["first"], name["last"], tr["email"])
	})
	fx, email := withProfileHook(t, app)
	stored := func() map[string]any {
		return fx.s.Native(t).Get(fx.s.AdminURL("/admin/identities/" + fx.ident.ID.String())).Map(t)
	}

	t.Run("refused, SPA", func(t *testing.T) {
		c := fx.spa(t)
		f := fx.newBrowserFlow(t, c)
		r := submit(fx, c, f, profileBody(email, "Mallory"))
		wantStatus(t, r, http.StatusBadRequest)
		if got := decodeFlow(t, r).nodeMessages("", "traits.name.first"); !slices.Equal(got, []int{4000097}) {
			t.Fatalf("traits.name.first messages %v\n%s", got, r.Body)
		}
		if tr := stored()["traits"].(map[string]any); tr["name"].(map[string]any)["first"] == "Mallory" {
			t.Fatalf("stored after a refusal: %v", tr)
		}
	})
	t.Run("refused, browser", func(t *testing.T) {
		b := fx.browser(t)
		res := b.Get(fx.url("/self-service/settings/browser"))
		id := apptest.URL(t, res.Header.Get("Location")).Query().Get("flow")
		g := b.Do(http.MethodGet, fx.url("/self-service/settings/flows?id="+id), nil, http.Header{"Accept": {"application/json"}})
		bf := decodeFlow(t, g)
		r := b.PostForm(fx.url("/self-service/settings?flow="+id), url.Values{
			"csrf_token": {bf.csrf()}, "method": {"profile"}, "traits.email": {email}, "traits.name.first": {"Mallory"},
		})
		if r.StatusCode != http.StatusSeeOther {
			t.Fatalf("status %d: %s", r.StatusCode, r.Body)
		}
		wantLocation(t, r, fx.uiURL(id))
		g = b.Do(http.MethodGet, fx.url("/self-service/settings/flows?id="+id), nil, http.Header{"Accept": {"application/json"}})
		if got := decodeFlow(t, g).nodeMessages("", "traits.name.first"); !slices.Equal(got, []int{4000097}) {
			t.Fatalf("traits.name.first messages %v", got)
		}
	})
	t.Run("parsed, native", func(t *testing.T) {
		f := fx.newAPIFlow(t)
		wantSuccess(t, fx, submit(fx, fx.native(t), f, profileBody(email, "Ada")), f)
		id := stored()
		tr := id["traits"].(map[string]any)
		if tr["name"].(map[string]any)["last"] != "LOVELACE" || id["metadata_public"].(map[string]any)["checked"] != true ||
			id["metadata_admin"].(map[string]any)["crm"] != "c-1" {
			t.Fatalf("stored identity: %v", id)
		}
		if id["state"] != "active" {
			t.Errorf("the hook changed the state: %v", id["state"])
		}
		for _, a := range id["verifiable_addresses"].([]any) {
			if a.(map[string]any)["verified"] == true {
				t.Errorf("the hook verified an address: %v", a)
			}
		}
	})
}
