// Package mfatest drives the settings and login flows the way each kind of client does
// (browser form posts, SPA JSON with cookies, native app with a session token), so second
// factor tests read as one journey run by all three.
package mfatest

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/portico-auth/portico/internal/apptest"
	"github.com/portico-auth/portico/internal/identity"
	"github.com/portico-auth/portico/internal/session"
)

// The relying party StartWebAuthn configures, and a password for the identities tests create.
const (
	Origin   = "https://app.portico.test"
	RPID     = "app.portico.test"
	Password = "a-long-enough-password"
)

// StartWebAuthn starts Portico with the webauthn and passkey methods enabled for RPID at
// Origin, plus opts.
func StartWebAuthn(t testing.TB, opts ...apptest.Option) *apptest.Server {
	t.Helper()
	var base []apptest.Option
	for _, m := range []string{"WEBAUTHN", "PASSKEY"} {
		base = append(base,
			apptest.WithEnv("SELFSERVICE_METHODS_"+m+"_ENABLED", "true"),
			apptest.WithEnv("SELFSERVICE_METHODS_"+m+"_CONFIG_RP_ID", RPID),
			apptest.WithEnv("SELFSERVICE_METHODS_"+m+"_CONFIG_RP_DISPLAY_NAME", "Portico Test"),
			apptest.WithEnv("SELFSERVICE_METHODS_"+m+"_CONFIG_RP_ORIGINS", Origin),
		)
	}
	return apptest.Start(t, append(base, opts...)...)
}

// Kinds are the three clients.
var Kinds = []string{"browser", "spa", "native"}

// Party is one client signed in as one identity.
type Party struct {
	T     testing.TB
	Kind  string
	S     *apptest.Server
	C     *apptest.Client
	Token string
}

// SignIn gives a client of kind a fresh aal1 password session of ident.
func SignIn(t testing.TB, s *apptest.Server, kind string, ident *identity.Identity) *Party {
	t.Helper()
	return SignInWith(t, s, kind, ident, session.AAL1)
}

// SignInWith gives a client of kind a fresh session of ident at aal, as if methods had just
// been completed (see apptest.Server.IssueSession).
func SignInWith(t testing.TB, s *apptest.Server, kind string, ident *identity.Identity, aal session.AAL, methods ...string) *Party {
	t.Helper()
	p := Anonymous(t, s, kind)
	tok := s.IssueSession(t, ident, aal, methods...)
	if kind == "native" {
		p.Token = tok
		p.C.Header.Set("X-Session-Token", tok)
	} else {
		p.C.SetSessionCookie(s, tok)
	}
	return p
}

// Anonymous gives a client of kind with no session.
func Anonymous(t testing.TB, s *apptest.Server, kind string) *Party {
	t.Helper()
	p := &Party{T: t, Kind: kind, S: s}
	switch kind {
	case "browser":
		p.C = s.Browser(t)
	case "spa":
		p.C = s.SPA(t)
	default:
		p.C = s.Native(t)
	}
	return p
}

// JSONGet reads path as JSON whatever the client's Accept.
func (p *Party) JSONGet(path string) *apptest.Response {
	p.T.Helper()
	return p.C.Do(http.MethodGet, p.url(path), nil, http.Header{"Accept": {"application/json"}})
}

func (p *Party) url(path string) string {
	if strings.HasPrefix(path, "http") {
		return path
	}
	return p.S.PublicURL(path)
}

// Whoami is GET /sessions/whoami.
func (p *Party) Whoami() *apptest.Response { return p.JSONGet("/sessions/whoami") }

// StartSettings creates a settings flow and returns the raw reply of the creation (for the
// browser: the 303) and the flow (nil when none was created).
func (p *Party) StartSettings() (*apptest.Response, map[string]any) {
	p.T.Helper()
	return p.Start("settings", "")
}

// StartLogin creates a login flow with query q (e.g. "aal=aal2").
func (p *Party) StartLogin(q string) (*apptest.Response, map[string]any) {
	p.T.Helper()
	return p.Start("login", q)
}

// Start creates a flow of kind ("login", "settings", ...) with query q (may be empty) the way
// the client does (browser endpoint, or api for native) and returns the raw reply of the
// creation (for the browser: the 303) and the flow (nil when none was created).
func (p *Party) Start(kind, q string) (*apptest.Response, map[string]any) {
	p.T.Helper()
	path := "/self-service/" + kind + "/browser"
	if p.Kind == "native" {
		path = "/self-service/" + kind + "/api"
	}
	if q != "" {
		path += "?" + q
	}
	res := p.C.Get(p.url(path))
	if p.Kind != "browser" {
		if res.StatusCode != http.StatusOK {
			return res, nil
		}
		return res, res.Map(p.T)
	}
	return res, p.redirected(kind, res)
}

// redirected is the flow of kind a browser reply's 303 points to, nil when the reply is no
// 303 or points to no flow.
func (p *Party) redirected(kind string, res *apptest.Response) map[string]any {
	p.T.Helper()
	if res.StatusCode != http.StatusSeeOther {
		return nil
	}
	id := apptest.URL(p.T, res.Header.Get("Location")).Query().Get("flow")
	if id == "" {
		return nil
	}
	return p.Flow(kind, id)
}

// Flow reads a flow of kind by id as JSON.
func (p *Party) Flow(kind, id string) map[string]any {
	p.T.Helper()
	f := p.JSONGet("/self-service/" + kind + "/flows?id=" + id)
	if f.StatusCode != http.StatusOK {
		p.T.Fatalf("get %s flow %s: %d %s", kind, id, f.StatusCode, f.Body)
	}
	return f.Map(p.T)
}

// Submit posts fields (plus the flow's CSRF token) to the flow's action: a form for the
// browser, JSON otherwise. For the browser the reply is the 303 and the flow it points to
// (kind "settings" or "login"; nil when it points elsewhere); otherwise the reply and its JSON.
func (p *Party) Submit(kind string, f map[string]any, fields map[string]any) (*apptest.Response, map[string]any) {
	p.T.Helper()
	action := Str(f, "ui", "action")
	if csrf := CSRF(f); csrf != "" {
		fields["csrf_token"] = csrf
	}
	if p.Kind != "browser" {
		res := p.C.PostJSON(action, fields)
		var m map[string]any
		if len(res.Body) > 0 && res.Body[0] == '{' {
			m = res.Map(p.T)
		}
		return res, m
	}
	form := url.Values{}
	for k, v := range fields {
		form.Set(k, fmt.Sprint(v))
	}
	res := p.C.PostForm(action, form)
	return res, p.redirected(kind, res)
}

// Str walks v by keys and returns the string found, or "".
func Str(v any, keys ...string) string {
	s, _ := Walk(v, keys...).(string)
	return s
}

// Walk follows keys through nested JSON objects and returns what it finds, or nil.
func Walk(v any, keys ...string) any {
	for _, k := range keys {
		m, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = m[k]
	}
	return v
}

// Nodes returns the flow's nodes.
func Nodes(f map[string]any) []map[string]any {
	raw, _ := Walk(f, "ui", "nodes").([]any)
	out := make([]map[string]any, 0, len(raw))
	for _, n := range raw {
		if m, ok := n.(map[string]any); ok {
			out = append(out, m)
		}
	}
	return out
}

// Node finds the node of group whose name (inputs) or id (other nodes) is name; for the
// "method" submit pass the group's method name as value.
func Node(f map[string]any, group, name string) map[string]any {
	for _, n := range Nodes(f) {
		if n["group"] != group {
			continue
		}
		a, _ := n["attributes"].(map[string]any)
		if a["name"] == name || a["id"] == name {
			return n
		}
	}
	return nil
}

// Names lists group:name (or group:id) of every node, for messages and shape checks.
func Names(f map[string]any) []string {
	var out []string
	for _, n := range Nodes(f) {
		a, _ := n["attributes"].(map[string]any)
		name, _ := a["name"].(string)
		if name == "" {
			name, _ = a["id"].(string)
		}
		if name == "method" {
			name = fmt.Sprintf("method=%v", a["value"])
		}
		out = append(out, fmt.Sprintf("%v:%s", n["group"], name))
	}
	return out
}

// CSRF is the csrf_token node's value.
func CSRF(f map[string]any) string {
	for _, n := range Nodes(f) {
		a, _ := n["attributes"].(map[string]any)
		if a["name"] == "csrf_token" {
			s, _ := a["value"].(string)
			return s
		}
	}
	return ""
}

// MessageIDs lists the ids of the flow's messages and of every node's messages.
func MessageIDs(f map[string]any) []int {
	var ids []int
	add := func(list any) {
		l, _ := list.([]any)
		for _, m := range l {
			if id, ok := Walk(m, "id").(float64); ok {
				ids = append(ids, int(id))
			}
		}
	}
	add(Walk(f, "ui", "messages"))
	for _, n := range Nodes(f) {
		add(n["messages"])
	}
	return ids
}

// MessageTexts joins the texts of the flow's own messages with " | ", for failure messages
// and substring checks.
func MessageTexts(f map[string]any) string {
	var out []string
	list, _ := Walk(f, "ui", "messages").([]any)
	for _, m := range list {
		out = append(out, Str(m, "text"))
	}
	return strings.Join(out, " | ")
}

// Has reports whether ids holds id.
func Has(ids []int, id int) bool {
	for _, x := range ids {
		if x == id {
			return true
		}
	}
	return false
}
