package login_test

import (
	"encoding/base64"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/portico-auth/portico/internal/apptest"
)

// TestWebHookLogin: an interrupting after hook refuses a sign-in before any session is
// written, with its message on the flow (app and browser), and sees the session as it will
// be stored (ctx.session, as in Kratos); a background hook gets the identity and the session
// once it exists; a before hook sees each new flow.
func TestWebHookLogin(t *testing.T) {
	body := "base64://" + base64.StdEncoding.EncodeToString([]byte(`function(ctx) {
  email: if std.objectHas(ctx, "identity") then ctx.identity.traits.email else null,
  session: if std.objectHas(ctx, "session") then ctx.session.id else null,
  flow_id: ctx.flow.id,
}`))
	blockedEmail, okEmail := apptest.Email("blocked"), apptest.Email("ok")
	app := apptest.StartHookApp(t, func(c apptest.HookCall) (int, string) {
		if c.Path == "/gate" && c.Body["email"] == blockedEmail {
			return http.StatusForbidden, `{"messages":[{"instance_ptr":"#","messages":[{"id":4000096,"text":"Your account is on hold.","type":"error"}]}]}`
		}
		return http.StatusOK, ""
	})
	s := apptest.Start(t, apptest.WithConfig(fmt.Sprintf(`selfservice:
  flows:
    login:
      before:
        hooks:
          - hook: web_hook
            config: {url: %[1]s/before, method: POST, body: %[2]q}
      after:
        password:
          hooks:
            - hook: web_hook
              config: {url: %[1]s/gate, method: POST, body: %[2]q, can_interrupt: true}
        hooks:
          - hook: web_hook
            config: {url: %[1]s/audit, method: POST, body: %[2]q, response: {ignore: true}}
`, app.URL, body)))
	blocked := s.CreateIdentity(t, blockedEmail, pw)
	s.CreateIdentity(t, okEmail, pw)

	sessions := func() int {
		r := s.Native(t).Get(s.AdminURL("/admin/identities/" + blocked.ID.String() + "/sessions"))
		var list []any
		r.JSON(t, &list)
		return len(list)
	}

	t.Run("refused, app", func(t *testing.T) {
		c := s.Native(t)
		f := c.Get(s.PublicURL("/self-service/login/api")).Map(t)
		r := c.PostJSON(s.PublicURL("/self-service/login?flow="+f["id"].(string)), map[string]any{
			"method": "password", "identifier": blockedEmail, "password": pw,
		})
		if r.StatusCode != http.StatusBadRequest || !strings.Contains(string(r.Body), "Your account is on hold.") || strings.Contains(string(r.Body), "session_token") {
			t.Fatalf("status %d: %s", r.StatusCode, r.Body)
		}
		if n := sessions(); n != 0 {
			t.Fatalf("%d sessions written for a refused login", n)
		}
	})
	t.Run("refused, browser", func(t *testing.T) {
		b := s.Browser(t)
		id, csrf := s.BrowserFlow(t, b, "login")
		r := b.PostForm(s.PublicURL("/self-service/login?flow="+id), url.Values{
			"csrf_token": {csrf}, "method": {"password"}, "identifier": {blockedEmail}, "password": {pw},
		})
		if r.StatusCode != http.StatusSeeOther || !strings.Contains(r.Header.Get("Location"), id) {
			t.Fatalf("status %d to %q", r.StatusCode, r.Header.Get("Location"))
		}
		for _, c := range r.Cookies() {
			if c.Name == "ory_kratos_session" {
				t.Fatal("a session cookie for a refused login")
			}
		}
		g := b.Do(http.MethodGet, s.PublicURL("/self-service/login/flows?id="+id), nil, http.Header{"Accept": {"application/json"}})
		if !strings.Contains(string(g.Body), `"id":4000096`) {
			t.Fatalf("flow without the refusal: %s", g.Body)
		}
		if n := sessions(); n != 0 {
			t.Fatalf("%d sessions", n)
		}
	})
	t.Run("accepted", func(t *testing.T) {
		tok := s.LoginNative(t, okEmail, pw)
		if tok == "" {
			t.Fatal("no session")
		}
		if err := s.App.WebHooks.Wait(t.Context()); err != nil {
			t.Fatal(err)
		}
		audit := app.Calls("/audit")
		if len(audit) != 1 || audit[0].Body["email"] != okEmail || audit[0].Body["session"] == nil {
			t.Fatalf("background calls %+v", audit)
		}
		// The hook waited for sees the session before it is written, with the id it gets.
		gate := app.Calls("/gate")
		if last := gate[len(gate)-1]; last.Body["email"] != okEmail || last.Body["session"] == nil || last.Body["session"] != audit[0].Body["session"] {
			t.Fatalf("gate call %+v, stored session %v", last, audit[0].Body["session"])
		}
		// Every flow created passed the before hook.
		if n := len(app.Calls("/before")); n != 3 {
			t.Fatalf("%d before calls for 3 flows", n)
		}
	})
}
