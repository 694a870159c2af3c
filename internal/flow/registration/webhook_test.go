package registration_test

import (
	"encoding/base64"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/portico-auth/portico/internal/apptest"
)

// hookBody is the Jsonnet template the tests' hooks send: the parts of ctx the app may use.
var hookBody = "base64://" + base64.StdEncoding.EncodeToString([]byte(`function(ctx) {
  flow_id: ctx.flow.id,
  identity: if std.objectHas(ctx, "identity") then ctx.identity else null,
  headers: ctx.request_headers,
  cookies: ctx.request_cookies,
  method: ctx.request_method,
  url: ctx.request_url,
}`))

// withHook starts a server whose registration runs one web hook after the password method
// (besides the session hook); conf is the hook's config beyond url, method and body.
func withHook(t *testing.T, hookURL, conf string, more ...apptest.Option) *apptest.Server {
	t.Helper()
	yaml := fmt.Sprintf(`selfservice:
  web_hooks:
    timeout: 300ms
  flows:
    registration:
      after:
        password:
          hooks:
            - hook: session
            - hook: web_hook
              config:
                url: %s
                method: POST
                body: %s
%s`, hookURL, hookBody, indent(conf, "                "))
	return apptest.Start(t, append([]apptest.Option{apptest.WithConfig(yaml)}, more...)...)
}

func indent(s, by string) string {
	if s == "" {
		return ""
	}
	lines := strings.Split(strings.TrimSpace(s), "\n")
	for i, l := range lines {
		lines[i] = by + l
	}
	return strings.Join(lines, "\n") + "\n"
}

func register(t *testing.T, s *apptest.Server, c *apptest.Client, email string) *apptest.Response {
	t.Helper()
	return c.PostJSON(s.PublicURL("/self-service/registration?flow="+newFlow(t, s, c)), map[string]any{
		"method": "password", "password": "a fine password", "traits": map[string]any{"email": email},
	})
}

// identities is how many identities the admin API finds for email (tests may share one
// database: PORTICO_TEST_DSN).
func identities(t *testing.T, s *apptest.Server, email string) int {
	t.Helper()
	r := s.Native(t).Get(s.AdminURL("/admin/identities?credentials_identifier=" + url.QueryEscape(email)))
	var list []map[string]any
	r.JSON(t, &list)
	return len(list)
}

const refusal = `{"messages":[{"instance_ptr":"#/traits/email","messages":[{"id":4000099,"text":"This address is not on the guest list.","type":"error","context":{"list":"beta"}}]}]}`

// TestWebHookInterrupt: a hook that may interrupt refuses the sign-up; its message is shown on
// the node its pointer names, for an app and for a browser, and no identity is stored. Once
// the app accepts, the same flow completes.
func TestWebHookInterrupt(t *testing.T) {
	guest, stranger, other := apptest.Email("guest"), apptest.Email("stranger"), apptest.Email("other")
	app := apptest.StartHookApp(t, func(c apptest.HookCall) (int, string) {
		if id, _ := c.Body["identity"].(map[string]any); id != nil {
			if tr, _ := id["traits"].(map[string]any); tr["email"] == guest {
				return http.StatusOK, ""
			}
		}
		return http.StatusForbidden, refusal
	})
	s := withHook(t, app.URL, "can_interrupt: true")

	t.Run("api", func(t *testing.T) {
		c := s.Native(t)
		r := register(t, s, c, stranger)
		if r.StatusCode != http.StatusBadRequest {
			t.Fatalf("status %d: %s", r.StatusCode, r.Body)
		}
		var f flowReply
		r.JSON(t, &f)
		if v, ids := f.node("traits.email"); len(ids) != 1 || ids[0] != 4000099 || v != stranger {
			t.Fatalf("email node %v %v\n%s", v, ids, r.Body)
		}
		if !strings.Contains(string(r.Body), "This address is not on the guest list.") || !strings.Contains(string(r.Body), `"list":"beta"`) {
			t.Errorf("message text or context lost: %s", r.Body)
		}
		if n := identities(t, s, stranger); n != 0 {
			t.Fatalf("%d identities stored after a refusal", n)
		}
		// The same flow goes through once the app says yes.
		r = c.PostJSON(s.PublicURL("/self-service/registration?flow="+f.ID), map[string]any{
			"method": "password", "password": "a fine password", "traits": map[string]any{"email": guest},
		})
		if r.StatusCode != http.StatusOK || r.Map(t)["session_token"] == nil {
			t.Fatalf("accepted: %d %s", r.StatusCode, r.Body)
		}
	})

	t.Run("browser", func(t *testing.T) {
		b := s.Browser(t)
		id, csrf := s.BrowserFlow(t, b, "registration")
		r := b.PostForm(s.PublicURL("/self-service/registration?flow="+id), url.Values{
			"csrf_token": {csrf}, "method": {"password"}, "password": {"a fine password"}, "traits.email": {other},
		})
		if r.StatusCode != http.StatusSeeOther || !strings.Contains(r.Header.Get("Location"), id) {
			t.Fatalf("status %d to %q: %s", r.StatusCode, r.Header.Get("Location"), r.Body)
		}
		g := b.Do(http.MethodGet, s.PublicURL("/self-service/registration/flows?id="+id), nil, http.Header{"Accept": {"application/json"}})
		var f flowReply
		g.JSON(t, &f)
		if _, ids := f.node("traits.email"); len(ids) != 1 || ids[0] != 4000099 {
			t.Fatalf("email node messages %v\n%s", ids, g.Body)
		}
		if n := identities(t, s, other); n != 0 {
			t.Fatalf("%d identities stored after a refusal", n)
		}
		// The hook saw the browser's headers but none of its credentials.
		calls := app.Calls("")
		last := calls[len(calls)-1].Body
		hdr, _ := last["headers"].(map[string]any)
		if hdr["Accept"] == nil || hdr["Cookie"] != nil {
			t.Errorf("request_headers %v", hdr)
		}
		if ck, _ := last["cookies"].(map[string]any); len(ck) != 0 {
			t.Errorf("Portico's own cookies went to the app: %v", ck)
		}
		if last["method"] != "POST" || !strings.HasPrefix(fmt.Sprint(last["url"]), s.PublicURL("/self-service/registration?flow=")) || last["flow_id"] != id {
			t.Errorf("ctx: %v", last)
		}
	})
}

// TestWebHookParse: a parse hook's answer sets the traits and metadata the identity is stored
// with; traits it sets are validated like submitted ones.
func TestWebHookParse(t *testing.T) {
	parsed, bad := apptest.Email("parsed"), apptest.Email("bad")
	app := apptest.StartHookApp(t, func(c apptest.HookCall) (int, string) {
		id, _ := c.Body["identity"].(map[string]any)
		tr, _ := id["traits"].(map[string]any)
		if tr["email"] == bad {
			return http.StatusOK, `{"identity":{"traits":{"email":"not an address"}}}`
		}
		return http.StatusOK, fmt.Sprintf(`{"identity":{"traits":{"email":%q,"name":{"first":"Set","last":"ByApp"}},
			"metadata_public":{"plan":"gold"},"metadata_admin":{"crm_id":"c-42"}}}`, tr["email"])
	})
	s := withHook(t, app.URL, "response:\n  parse: true\nauth:\n  type: api_key\n  config: {name: X-Portico-Key, value: hook-secret, in: header}")
	c := s.Native(t)
	r := register(t, s, c, parsed)
	if r.StatusCode != http.StatusOK {
		t.Fatalf("status %d: %s", r.StatusCode, r.Body)
	}
	id := r.Map(t)["identity"].(map[string]any)["id"].(string)
	g := s.Native(t).Get(s.AdminURL("/admin/identities/" + id))
	var stored struct {
		Traits struct {
			Email string
			Name  struct{ First, Last string }
		}
		MetadataPublic map[string]any `json:"metadata_public"`
		MetadataAdmin  map[string]any `json:"metadata_admin"`
	}
	g.JSON(t, &stored)
	if stored.Traits.Name.First != "Set" || stored.Traits.Email != parsed ||
		stored.MetadataPublic["plan"] != "gold" || stored.MetadataAdmin["crm_id"] != "c-42" {
		t.Fatalf("stored identity: %s", g.Body)
	}
	calls := app.Calls("")
	if len(calls) != 1 || calls[0].Header.Get("X-Portico-Key") != "hook-secret" {
		t.Fatalf("calls %d, key %q", len(calls), calls[0].Header.Get("X-Portico-Key"))
	}

	r = register(t, s, c, bad)
	var f flowReply
	r.JSON(t, &f)
	if _, ids := f.node("traits.email"); r.StatusCode != http.StatusBadRequest || len(ids) == 0 {
		t.Fatalf("invalid traits from the app: %d %s", r.StatusCode, r.Body)
	}
	if n := identities(t, s, bad) + identities(t, s, "not an address"); n != 0 {
		t.Fatalf("%d identities stored with the app's invalid traits", n)
	}
}

// TestWebHookIgnore: a hook whose response is ignored is sent after the identity is
// committed and does not hold the reply: the app finds the identity already stored, and the
// sign-up is answered while the app has not answered yet (its attempts may take 30s).
func TestWebHookIgnore(t *testing.T) {
	var s *apptest.Server
	release := make(chan struct{})
	found := make(chan int, 1)
	app := apptest.StartHookApp(t, func(c apptest.HookCall) (int, string) {
		id, _ := c.Body["identity"].(map[string]any)
		found <- s.Native(t).Get(s.AdminURL(fmt.Sprintf("/admin/identities/%v", id["id"]))).StatusCode
		<-release
		return http.StatusInternalServerError, "" // ignored, whatever it says
	})
	defer close(release)
	s = withHook(t, app.URL, "response:\n  ignore: true", apptest.WithEnv("SELFSERVICE_WEB_HOOKS_TIMEOUT", "30s"))
	replied := make(chan int, 1)
	go func() { replied <- register(t, s, s.Native(t), apptest.Email("ignored")).StatusCode }()
	select {
	case code := <-found:
		if code != http.StatusOK {
			t.Fatalf("the app could not read the identity: %d", code)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("the hook never arrived")
	}
	select {
	case code := <-replied:
		if code != http.StatusOK {
			t.Fatalf("sign-up: %d", code)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("the sign-up waited for a hook whose response is ignored")
	}
}

// TestWebHookFailures: an app that does not answer in time, cannot be reached or answers
// wrongly fails the sign-up with a clear error, and nothing is stored.
func TestWebHookFailures(t *testing.T) {
	slow := apptest.StartHookApp(t, func(apptest.HookCall) (int, string) {
		time.Sleep(time.Second) // past the 300ms timeout
		return http.StatusOK, ""
	})
	broken := apptest.StartHookApp(t, func(apptest.HookCall) (int, string) { return http.StatusInternalServerError, "<html>" })
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	gone := "http://" + ln.Addr().String() + "/hook"
	_ = ln.Close()
	for _, tt := range []struct {
		name, url string
		status    int
		reason    string
	}{
		{"timeout", slow.URL, http.StatusGatewayTimeout, "could not be reached"},
		{"unreachable", gone, http.StatusBadGateway, "could not be reached"},
		{"wrong answer", broken.URL, http.StatusBadGateway, "responded improperly"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			s := withHook(t, tt.url, "can_interrupt: true")
			someone := apptest.Email("someone")
			r := register(t, s, s.Native(t), someone)
			e, _ := r.Map(t)["error"].(map[string]any)
			if r.StatusCode != tt.status || e == nil || !strings.Contains(fmt.Sprint(e["reason"]), tt.reason) {
				t.Fatalf("status %d: %s", r.StatusCode, r.Body)
			}
			if n := identities(t, s, someone); n != 0 {
				t.Fatalf("%d identities stored", n)
			}
			// A browser is sent to the error page.
			b := s.Browser(t)
			id, csrf := s.BrowserFlow(t, b, "registration")
			res := b.PostForm(s.PublicURL("/self-service/registration?flow="+id), url.Values{
				"csrf_token": {csrf}, "method": {"password"}, "password": {"a fine password"}, "traits.email": {someone},
			})
			if res.StatusCode != http.StatusSeeOther || !strings.Contains(res.Header.Get("Location"), "error") {
				t.Fatalf("browser: %d to %q", res.StatusCode, res.Header.Get("Location"))
			}
			if n := identities(t, s, someone); n != 0 {
				t.Fatalf("%d identities stored", n)
			}
		})
	}
}

// TestWebHookBefore: a before hook runs when a flow is created, sees the request (not its
// credentials), and a refusal stops the flow.
func TestWebHookBefore(t *testing.T) {
	app := apptest.StartHookApp(t, func(c apptest.HookCall) (int, string) {
		if hdr, _ := c.Body["headers"].(map[string]any); fmt.Sprint(hdr["User-Agent"]) == "[blocked-agent]" {
			return http.StatusForbidden, `{"messages":[{"instance_ptr":"#","messages":[{"id":4000098,"text":"Sign-ups are closed.","type":"error"}]}]}`
		}
		return http.StatusOK, ""
	})
	yaml := fmt.Sprintf("selfservice:\n  flows:\n    registration:\n      before:\n        hooks:\n          - hook: web_hook\n            config: {url: %s, method: POST, body: %q, can_interrupt: true}\n", app.URL, hookBody)
	s := apptest.Start(t, apptest.WithConfig(yaml))
	c := s.Native(t)
	c.Header.Set("X-Session-Token", "not-for-the-app")
	newFlow(t, s, c)
	calls := app.Calls("")
	if len(calls) != 1 {
		t.Fatalf("%d calls", len(calls))
	}
	if hdr, _ := calls[0].Body["headers"].(map[string]any); hdr["X-Session-Token"] != nil || hdr["Accept"] == nil {
		t.Errorf("request_headers %v", hdr)
	}
	if calls[0].Body["identity"] != nil || calls[0].Body["flow_id"] == nil {
		t.Errorf("ctx %v", calls[0].Body)
	}
	c.Header.Set("User-Agent", "blocked-agent")
	r := c.Get(s.PublicURL("/self-service/registration/api"))
	if e, _ := r.Map(t)["error"].(map[string]any); r.StatusCode != http.StatusForbidden || e["reason"] != "Sign-ups are closed." {
		t.Fatalf("refused: %d %s", r.StatusCode, r.Body)
	}
}

// TestWebHookConcurrent: 120 sign-ups at once, each judged by the hook on its own identity
// (the hook's context is the request's, never another's): exactly the accepted ones are
// stored.
func TestWebHookConcurrent(t *testing.T) {
	app := apptest.StartHookApp(t, func(c apptest.HookCall) (int, string) {
		id, _ := c.Body["identity"].(map[string]any)
		tr, _ := id["traits"].(map[string]any)
		if strings.HasPrefix(fmt.Sprint(tr["email"]), "no-") {
			return http.StatusForbidden, refusal
		}
		return http.StatusOK, fmt.Sprintf(`{"identity":{"metadata_public":{"email":%q}}}`, tr["email"])
	})
	s := withHook(t, app.URL, "response:\n  parse: true", apptest.WithEnv("SELFSERVICE_WEB_HOOKS_TIMEOUT", "30s"))
	const n = 120
	emails := make([]string, n)
	for i := range emails {
		emails[i] = apptest.Email("yes")
		if i%2 == 1 {
			emails[i] = apptest.Email("no")
		}
	}
	codes := make(chan int, n)
	for _, email := range emails {
		go func() {
			c := s.Native(t)
			f := c.Get(s.PublicURL("/self-service/registration/api")).Map(t)
			codes <- c.PostJSON(s.PublicURL("/self-service/registration?flow="+fmt.Sprint(f["id"])), map[string]any{
				"method": "password", "password": "a fine password", "traits": map[string]any{"email": email},
			}).StatusCode
		}()
	}
	count := map[int]int{}
	for range n {
		count[<-codes]++
	}
	if count[http.StatusOK] != n/2 || count[http.StatusBadRequest] != n/2 {
		t.Fatalf("statuses %v", count)
	}
	for _, email := range emails {
		r := s.Native(t).Get(s.AdminURL("/admin/identities?credentials_identifier=" + url.QueryEscape(email)))
		var list []struct {
			MetadataPublic struct{ Email string } `json:"metadata_public"`
		}
		r.JSON(t, &list)
		want := 0
		if strings.HasPrefix(email, "yes-") {
			want = 1
		}
		if len(list) != want || (want == 1 && list[0].MetadataPublic.Email != email) {
			t.Errorf("%s: stored %+v", email, list)
		}
	}
}
