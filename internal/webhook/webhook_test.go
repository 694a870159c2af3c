package webhook

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/portico-auth/portico/internal/apierr"
)

func b64(s string) string { return "base64://" + base64.StdEncoding.EncodeToString([]byte(s)) }

func newCaller(t *testing.T, o Options) *Caller {
	t.Helper()
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	if o.Backoff == 0 {
		o.Backoff = time.Millisecond
	}
	return NewCaller(o)
}

func load(t *testing.T, c *Caller, raw map[string]any) *Hook {
	t.Helper()
	cfg, err := ParseConfig("hook", raw)
	if err != nil {
		t.Fatal(err)
	}
	h, err := c.Load(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

func TestParseConfig(t *testing.T) {
	for _, tt := range []struct {
		name string
		raw  map[string]any
		want string // "" for valid
	}{
		{"minimal", map[string]any{"url": "https://app.example/hook", "method": "post"}, ""},
		{"everything", map[string]any{"url": "http://app.example/hook", "method": "PUT", "body": b64("function(ctx) {}"),
			"headers": map[string]any{"X-Tenant": "a"}, "can_interrupt": true, "emit_analytics_event": false,
			"response": map[string]any{"parse": true},
			"auth":     map[string]any{"type": "api_key", "config": map[string]any{"name": "X-Key", "value": "s", "in": "header"}}}, ""},
		{"unknown key", map[string]any{"url": "https://app.example/", "method": "POST", "retries": 3}, "unknown field"},
		{"no url", map[string]any{"method": "POST"}, "url"},
		{"not http", map[string]any{"url": "file:///etc/passwd", "method": "POST"}, "url"},
		{"no method", map[string]any{"url": "https://app.example/"}, "method"},
		{"ignore and parse", map[string]any{"url": "https://app.example/", "method": "POST", "response": map[string]any{"ignore": true, "parse": true}}, "response.ignore"},
		{"ignore and interrupt", map[string]any{"url": "https://app.example/", "method": "POST", "can_interrupt": true, "response": map[string]any{"ignore": true}}, "response.ignore"},
		{"api key without in", map[string]any{"url": "https://app.example/", "method": "POST",
			"auth": map[string]any{"type": "api_key", "config": map[string]any{"name": "k", "value": "v"}}}, "auth.config"},
		{"basic auth without password", map[string]any{"url": "https://app.example/", "method": "POST",
			"auth": map[string]any{"type": "basic_auth", "config": map[string]any{"user": "portico"}}}, `password: ""`},
		{"basic auth with an empty password (Kratos's schema allows it)", map[string]any{"url": "https://app.example/", "method": "POST",
			"auth": map[string]any{"type": "basic_auth", "config": map[string]any{"user": "portico", "password": ""}}}, ""},
		{"unknown auth", map[string]any{"url": "https://app.example/", "method": "POST", "auth": map[string]any{"type": "oauth"}}, "auth.type"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseConfig("selfservice.flows.login.after.hooks[0].config", tt.raw)
			if tt.want == "" && err != nil {
				t.Fatalf("refused: %v", err)
			}
			if tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want) || !strings.Contains(err.Error(), "login.after")) {
				t.Fatalf("error %v, want one naming %q and the path", err, tt.want)
			}
		})
	}
}

// TestRequest checks what the app receives: the method, the body the template built from
// ctx, the configured headers and each kind of credentials.
func TestRequest(t *testing.T) {
	type got struct {
		method, contentType, key, tenant, cookie, user, pass string
		body                                                 map[string]any
	}
	seen := make(chan got, 1)
	app := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var g got
		g.method, g.contentType, g.key, g.tenant = r.Method, r.Header.Get("Content-Type"), r.Header.Get("X-Key"), r.Header.Get("X-Tenant")
		if c, err := r.Cookie("key"); err == nil {
			g.cookie = c.Value
		}
		g.user, g.pass, _ = r.BasicAuth()
		b, _ := io.ReadAll(r.Body)
		_ = json.Unmarshal(b, &g.body)
		seen <- g
	}))
	defer app.Close()
	c := newCaller(t, Options{})
	body := b64(`function(ctx) { id: ctx.identity.id, method: ctx.request_method, flow: ctx.flow.id }`)
	in := &Input{Flow: map[string]any{"id": "f1"}, RequestMethod: "POST", Identity: map[string]any{"id": "i1"}}
	for _, tt := range []struct {
		name  string
		auth  map[string]any
		check func(got) bool
	}{
		{"api key in header", map[string]any{"type": "api_key", "config": map[string]any{"name": "X-Key", "value": "secret", "in": "header"}},
			func(g got) bool { return g.key == "secret" && g.cookie == "" }},
		{"api key in cookie", map[string]any{"type": "api_key", "config": map[string]any{"name": "key", "value": "secret", "in": "cookie"}},
			func(g got) bool { return g.cookie == "secret" && g.key == "" }},
		{"basic auth", map[string]any{"type": "basic_auth", "config": map[string]any{"user": "portico", "password": "pw"}},
			func(g got) bool { return g.user == "portico" && g.pass == "pw" }},
		{"basic auth, empty password", map[string]any{"type": "basic_auth", "config": map[string]any{"user": "portico", "password": ""}},
			func(g got) bool { return g.user == "portico" && g.pass == "" }},
	} {
		t.Run(tt.name, func(t *testing.T) {
			h := load(t, c, map[string]any{"url": app.URL, "method": "put", "body": body,
				"headers": map[string]any{"X-Tenant": "t1"}, "auth": tt.auth})
			if _, err := c.Call(context.Background(), h, in); err != nil {
				t.Fatal(err)
			}
			g := <-seen
			if !tt.check(g) {
				t.Errorf("credentials: %+v", g)
			}
			if g.method != "PUT" || g.contentType != "application/json" || g.tenant != "t1" {
				t.Errorf("request: %+v", g)
			}
			if g.body["id"] != "i1" || g.body["method"] != "POST" || g.body["flow"] != "f1" {
				t.Errorf("body: %v", g.body)
			}
		})
	}
}

func TestTemplateCancelSendsNothing(t *testing.T) {
	var calls atomic.Int32
	app := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { calls.Add(1) }))
	defer app.Close()
	c := newCaller(t, Options{})
	h := load(t, c, map[string]any{"url": app.URL, "method": "POST", "body": b64(`function(ctx) if ctx.flow == null then error "cancel" else {}`)})
	if _, err := c.Call(context.Background(), h, &Input{}); err != nil {
		t.Fatal(err)
	}
	c.Send(h, &Input{})
	if err := c.Wait(context.Background()); err != nil {
		t.Fatal(err)
	}
	if calls.Load() != 0 {
		t.Fatalf("%d calls after a cancel", calls.Load())
	}
	if _, err := c.Call(context.Background(), h, &Input{Flow: map[string]any{}}); err != nil || calls.Load() != 1 {
		t.Fatalf("not cancelled: %v, %d calls", err, calls.Load())
	}
}

func TestTemplateBounds(t *testing.T) {
	app := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	defer app.Close()
	c := newCaller(t, Options{})
	for name, src := range map[string]string{
		"deep recursion": `local f(n) = f(n + 1) + 1; function(ctx) { x: f(0) }`,
		"huge output":    `function(ctx) { x: std.join("", std.repeat(["0123456789abcdef"], 100000)) }`,
		"reads a file":   `local s = importstr "/etc/passwd"; function(ctx) { x: s }`,
		"not a function": `{ a: `,
	} {
		t.Run(name, func(t *testing.T) {
			cfg, err := ParseConfig("hook", map[string]any{"url": app.URL, "method": "POST", "body": b64(src)})
			if err != nil {
				t.Fatal(err)
			}
			h, err := c.Load(context.Background(), cfg)
			if err != nil {
				return // refused at start-up: fine
			}
			if _, err := c.Call(context.Background(), h, &Input{}); err == nil {
				t.Fatal("no error")
			}
		})
	}
}

func TestReplies(t *testing.T) {
	refusal := `{"messages":[{"instance_ptr":"#/traits/email","messages":[{"id":4000001,"text":"Not on the guest list","type":"error","context":{"x":1}}]},
		{"instance_ptr":"","messages":[{"id":1234,"text":"Try again","type":"info"}]}]}`
	for _, tt := range []struct {
		name   string
		conf   map[string]any
		status int
		body   string
		check  func(*testing.T, *Patch, error)
	}{
		{"refusal", map[string]any{"can_interrupt": true}, 403, refusal, func(t *testing.T, _ *Patch, err error) {
			var in *Interrupt
			if !errors.As(err, &in) {
				t.Fatalf("error %v", err)
			}
			m := in.Nodes["traits.email"]
			if len(m) != 1 || m[0].ID != 4000001 || m[0].Text != "Not on the guest list" || m[0].Type != "error" || m[0].Context["x"] != float64(1) {
				t.Errorf("node messages %+v", in.Nodes)
			}
			if len(in.Messages) != 1 || in.Messages[0].Type != "info" {
				t.Errorf("flow messages %+v", in.Messages)
			}
		}},
		{"refusal without messages", map[string]any{"response": map[string]any{"parse": true}}, 400, `{"oops":1}`, wantCode(502)},
		{"error without interrupt", map[string]any{}, 400, refusal, wantCode(502)},
		{"parse", map[string]any{"response": map[string]any{"parse": true}}, 200,
			`{"identity":{"traits":{"email":"a@b.c"},"metadata_public":{"plan":"gold"},"metadata_admin":null}}`,
			func(t *testing.T, p *Patch, err error) {
				if err != nil || p == nil || string(p.Traits) != `{"email":"a@b.c"}` || string(p.MetadataPublic) != `{"plan":"gold"}` || p.MetadataAdmin != nil {
					t.Fatalf("patch %+v, %v", p, err)
				}
			}},
		{"parse 204", map[string]any{"response": map[string]any{"parse": true}}, 204, "", func(t *testing.T, p *Patch, err error) {
			if p != nil || err != nil {
				t.Fatalf("patch %+v, %v", p, err)
			}
		}},
		{"parse not json", map[string]any{"response": map[string]any{"parse": true}}, 200, `<html>`, wantCode(502)},
		{"parse traits not an object", map[string]any{"response": map[string]any{"parse": true}}, 200, `{"identity":{"traits":"x"}}`, wantCode(502)},
		{"reply ignored without parse", map[string]any{}, 200, `{"identity":{"traits":{"x":1}}}`, func(t *testing.T, p *Patch, err error) {
			if p != nil || err != nil {
				t.Fatalf("patch %+v, %v", p, err)
			}
		}},
		{"redirect not followed", map[string]any{}, 302, "", wantCode(502)},
		{"reply too large", map[string]any{"response": map[string]any{"parse": true}}, 200, `{"identity":{"traits":{"x":"` + strings.Repeat("a", maxReply) + `"}}}`, wantCode(502)},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var followed atomic.Bool
			app := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if r.URL.Path == "/elsewhere" {
					followed.Store(true)
					return
				}
				if tt.status == 302 {
					w.Header().Set("Location", "/elsewhere")
				}
				w.WriteHeader(tt.status)
				_, _ = io.WriteString(w, tt.body)
			}))
			defer app.Close()
			c := newCaller(t, Options{})
			conf := map[string]any{"url": app.URL, "method": "POST"}
			for k, v := range tt.conf {
				conf[k] = v
			}
			p, err := c.Call(context.Background(), load(t, c, conf), &Input{})
			tt.check(t, p, err)
			if followed.Load() {
				t.Error("redirect followed")
			}
		})
	}
}

func wantCode(code int) func(*testing.T, *Patch, error) {
	return func(t *testing.T, _ *Patch, err error) {
		t.Helper()
		if e := apierr.From(err); err == nil || e.Code != code {
			t.Fatalf("error %v, want %d", err, code)
		}
	}
}

// TestRetries: a call waited for is tried Attempts times when the app is unavailable, but
// once only when an attempt times out; a background call is tried again after a timeout too.
func TestRetries(t *testing.T) {
	var calls atomic.Int32
	var mode atomic.Value
	app := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := calls.Add(1)
		switch mode.Load() {
		case "unavailable":
			w.WriteHeader(503)
		case "slow":
			select {
			case <-r.Context().Done():
			case <-time.After(5 * time.Second):
			}
		case "slow then fine":
			if n == 1 {
				<-r.Context().Done()
			}
		}
	}))
	defer app.Close()
	c := newCaller(t, Options{Timeout: 100 * time.Millisecond, Attempts: 3})
	h := load(t, c, map[string]any{"url": app.URL, "method": "POST"})

	mode.Store("unavailable")
	if _, err := c.Call(context.Background(), h, &Input{}); apierr.From(err).Code != 502 || calls.Load() != 3 {
		t.Fatalf("unavailable: %v after %d calls", err, calls.Load())
	}
	calls.Store(0)
	mode.Store("slow")
	if _, err := c.Call(context.Background(), h, &Input{}); apierr.From(err).Code != 504 || calls.Load() != 1 {
		t.Fatalf("slow: %v after %d calls", err, calls.Load())
	}
	calls.Store(0)
	mode.Store("slow then fine")
	c.Send(h, &Input{})
	if err := c.Wait(context.Background()); err != nil {
		t.Fatal(err)
	}
	if calls.Load() != 2 {
		t.Fatalf("background: %d calls", calls.Load())
	}
}

func TestUnreachable(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	_ = ln.Close()
	c := newCaller(t, Options{})
	_, err = c.Call(context.Background(), load(t, c, map[string]any{"url": "http://" + addr + "/hook", "method": "POST"}), &Input{})
	if e := apierr.From(err); err == nil || e.Code != 502 || !strings.Contains(e.Reason, "could not be reached") {
		t.Fatalf("error %v", err)
	}
}

func TestNodeName(t *testing.T) {
	for ptr, want := range map[string]string{
		"#/traits/email": "traits.email", "#/password": "password", "": "", "#": "", "#/": "",
		"/traits/a~1b": "traits.a/b", "#/traits/x~0y": "traits.x~y",
	} {
		if got := nodeName(ptr); got != want {
			t.Errorf("nodeName(%q) = %q, want %q", ptr, got, want)
		}
	}
}

// TestBackgroundBound: past maxBackground calls in flight, a background call is dropped at
// once instead of waiting or piling up.
func TestBackgroundBound(t *testing.T) {
	release := make(chan struct{})
	var calls atomic.Int32
	app := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {
		calls.Add(1)
		<-release
	}))
	defer app.Close()
	c := newCaller(t, Options{Timeout: time.Minute})
	h := load(t, c, map[string]any{"url": app.URL, "method": "POST", "response": map[string]any{"ignore": true}})
	for range maxBackground + 50 {
		c.Send(h, &Input{})
	}
	close(release)
	if err := c.Wait(context.Background()); err != nil {
		t.Fatal(err)
	}
	if n := calls.Load(); n != maxBackground {
		t.Fatalf("%d calls, want %d", n, maxBackground)
	}
}
