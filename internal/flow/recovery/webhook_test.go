package recovery_test

import (
	"encoding/base64"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/portico-auth/portico/internal/apptest"
)

// TestWebHookRecovered: an interrupting after hook of recovery refuses before the session is
// written (the refusal on the flow) and sees that session as it will be (ctx.session); a
// background one gets the identity and the session.
func TestWebHookRecovered(t *testing.T) {
	body := "base64://" + base64.StdEncoding.EncodeToString([]byte(`function(ctx) {
  email: ctx.identity.traits.email,
  session: if std.objectHas(ctx, "session") then ctx.session.id else null,
}`))
	held, free := apptest.Email("held"), apptest.Email("free")
	app := apptest.StartHookApp(t, func(c apptest.HookCall) (int, string) {
		if c.Path == "/gate" && c.Body["email"] == held {
			return http.StatusForbidden, `{"messages":[{"instance_ptr":"","messages":[{"id":4000095,"text":"Call the help desk.","type":"error"}]}]}`
		}
		return http.StatusOK, ""
	})
	s, _ := start(t, apptest.WithConfig(fmt.Sprintf(`selfservice:
  flows:
    recovery:
      after:
        hooks:
          - hook: web_hook
            config: {url: %[1]s/gate, method: POST, body: %[2]q, can_interrupt: true}
          - hook: web_hook
            config: {url: %[1]s/audit, method: POST, body: %[2]q, response: {ignore: true}}
`, app.URL, body)))
	recoverAs := func(email string) (*apptest.Response, string) {
		id := s.CreateIdentity(t, email, "an old password 123")
		var out struct {
			RecoveryLink string `json:"recovery_link"`
			RecoveryCode string `json:"recovery_code"`
		}
		s.Native(t).PostJSON(s.AdminURL("/admin/recovery/code"), map[string]any{"identity_id": id.ID, "flow_type": "api"}).JSON(t, &out)
		flowID := apptest.URL(t, out.RecoveryLink).Query().Get("flow")
		r := s.Native(t).PostJSON(s.PublicURL("/self-service/recovery?flow="+flowID), map[string]any{"method": "code", "code": out.RecoveryCode})
		var list []any
		s.Native(t).Get(s.AdminURL("/admin/identities/"+id.ID.String()+"/sessions")).JSON(t, &list)
		return r, fmt.Sprint(len(list))
	}

	r, sessions := recoverAs(held)
	if r.StatusCode != http.StatusBadRequest || !strings.Contains(string(r.Body), `"id":4000095`) || strings.Contains(string(r.Body), "set_ory_session_token") {
		t.Fatalf("refused recovery: %d %s", r.StatusCode, r.Body)
	}
	if sessions != "0" {
		t.Fatalf("%s sessions after a refused recovery", sessions)
	}

	r, sessions = recoverAs(free)
	if r.StatusCode != http.StatusOK || sessions != "1" {
		t.Fatalf("recovery: %d, %s sessions: %s", r.StatusCode, sessions, r.Body)
	}
	if err := s.App.WebHooks.Wait(t.Context()); err != nil {
		t.Fatal(err)
	}
	audit := app.Calls("/audit")
	if len(audit) != 1 || audit[0].Body["email"] != free || audit[0].Body["session"] == nil {
		t.Fatalf("background calls %+v", audit)
	}
	// The hook waited for saw the session before it was written, with the id it got.
	gate := app.Calls("/gate")
	if last := gate[len(gate)-1]; last.Body["email"] != free || last.Body["session"] != audit[0].Body["session"] {
		t.Fatalf("gate call %+v, stored session %v", last, audit[0].Body["session"])
	}
}
