package registration_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/portico-auth/portico/internal/apptest"
)

// withTwoHooks starts a server whose password sign-up runs two hooks on app, at /first and
// /second, each with conf (beyond url, method and body), under selfservice.web_hooks wh.
func withTwoHooks(t *testing.T, app, conf, wh string) *apptest.Server {
	t.Helper()
	hook := func(path string) string {
		return fmt.Sprintf(`            - hook: web_hook
              config:
                url: %s%s
                method: POST
                body: %s
%s`, app, path, hookBody, indent(conf, "                "))
	}
	return apptest.Start(t, apptest.WithConfig(fmt.Sprintf(`selfservice:
  web_hooks:
%s
  flows:
    registration:
      after:
        password:
          hooks:
            - hook: session
%s%s`, indent(wh, "    "), hook("/first"), hook("/second"))))
}

func traitsOf(c apptest.HookCall) map[string]any {
	id, _ := c.Body["identity"].(map[string]any)
	tr, _ := id["traits"].(map[string]any)
	return tr
}

// TestWebHookChain: of two parse hooks, the second sees the identity as the first changed
// it, and what is stored is the second's answer on top of the first's.
func TestWebHookChain(t *testing.T) {
	app := apptest.StartHookApp(t, func(c apptest.HookCall) (int, string) {
		tr := traitsOf(c)
		switch c.Path {
		case "/first":
			return http.StatusOK, fmt.Sprintf(`{"identity":{"traits":{"email":%q,"name":{"first":"First"}},"metadata_public":{"by":"first"}}}`, tr["email"])
		default:
			name, _ := tr["name"].(map[string]any)
			return http.StatusOK, fmt.Sprintf(`{"identity":{"traits":{"email":%q,"name":{"first":%q,"last":"Second"}}}}`, tr["email"], name["first"])
		}
	})
	s := withTwoHooks(t, app.URL, "response:\n  parse: true", "timeout: 2s")
	email := apptest.Email("chain")
	r := register(t, s, s.Native(t), email)
	if r.StatusCode != http.StatusOK {
		t.Fatalf("status %d: %s", r.StatusCode, r.Body)
	}
	second := app.Calls("/second")
	if len(second) != 1 {
		t.Fatalf("%d calls to the second hook", len(second))
	}
	name, _ := traitsOf(second[0])["name"].(map[string]any)
	if name["first"] != "First" {
		t.Fatalf("the second hook saw %v, not the first hook's change", traitsOf(second[0]))
	}
	id := r.Map(t)["identity"].(map[string]any)["id"].(string)
	g := s.Native(t).Get(s.AdminURL("/admin/identities/" + id))
	body := string(g.Body)
	if !strings.Contains(body, `"first":"First"`) || !strings.Contains(body, `"last":"Second"`) || !strings.Contains(body, `"by":"first"`) {
		t.Fatalf("stored: %s", body)
	}
}

// TestWebHookFlowTimeout: two hooks that each answer within the attempt's timeout but
// together take longer than selfservice.web_hooks.flow_timeout end the sign-up with a 504
// that says so, before anything is stored.
func TestWebHookFlowTimeout(t *testing.T) {
	app := apptest.StartHookApp(t, func(apptest.HookCall) (int, string) {
		time.Sleep(700 * time.Millisecond)
		return http.StatusOK, ""
	})
	s := withTwoHooks(t, app.URL, "can_interrupt: true", "timeout: 5s\nflow_timeout: 1s")
	email := apptest.Email("slowpair")
	start := time.Now()
	r := register(t, s, s.Native(t), email)
	e, _ := r.Map(t)["error"].(map[string]any)
	if r.StatusCode != http.StatusGatewayTimeout || e == nil || !strings.Contains(fmt.Sprint(e["message"]), "took longer than 1s together") {
		t.Fatalf("status %d: %s", r.StatusCode, r.Body)
	}
	if took := time.Since(start); took > 4*time.Second {
		t.Errorf("the sign-up took %s with a 1s budget", took)
	}
	if n := identities(t, s, email); n != 0 {
		t.Fatalf("%d identities stored", n)
	}
}

// TestWebHookReplyTooLarge: an answer over 1 MiB from a hook whose answer is read is refused
// with a 502 that names the bound, and nothing is stored.
func TestWebHookReplyTooLarge(t *testing.T) {
	huge := `{"identity":{"traits":{"email":"` + strings.Repeat("a", 1<<20) + `@example.org"}}}`
	app := apptest.StartHookApp(t, func(apptest.HookCall) (int, string) { return http.StatusOK, huge })
	s := withHook(t, app.URL, "response:\n  parse: true")
	email := apptest.Email("huge")
	r := register(t, s, s.Native(t), email)
	e, _ := r.Map(t)["error"].(map[string]any)
	if r.StatusCode != http.StatusBadGateway || e == nil || !strings.Contains(fmt.Sprint(e["message"]), "over 1048576 bytes") {
		t.Fatalf("status %d: %.500s", r.StatusCode, r.Body)
	}
	if n := identities(t, s, email); n != 0 {
		t.Fatalf("%d identities stored", n)
	}
}
