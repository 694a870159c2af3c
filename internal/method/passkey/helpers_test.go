package passkey_test

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

const (
	origin   = "https://app.portico.test"
	rpID     = "app.portico.test"
	password = "a-long-enough-password"
)

func start(t *testing.T, opts ...apptest.Option) *apptest.Server {
	t.Helper()
	base := []apptest.Option{}
	for _, m := range []string{"WEBAUTHN", "PASSKEY"} {
		base = append(base,
			apptest.WithEnv("SELFSERVICE_METHODS_"+m+"_ENABLED", "true"),
			apptest.WithEnv("SELFSERVICE_METHODS_"+m+"_CONFIG_RP_ID", rpID),
			apptest.WithEnv("SELFSERVICE_METHODS_"+m+"_CONFIG_RP_DISPLAY_NAME", "Portico Test"),
			apptest.WithEnv("SELFSERVICE_METHODS_"+m+"_CONFIG_RP_ORIGINS", origin),
		)
	}
	return apptest.Start(t, append(base, opts...)...)
}

// party is one client (browser form posts, SPA JSON with cookies, native app with a token).
type party struct {
	t    *testing.T
	kind string
	s    *apptest.Server
	c    *apptest.Client
}

func signIn(t *testing.T, s *apptest.Server, kind string, ident *identity.Identity) *party {
	t.Helper()
	tok := s.IssueSession(t, ident, session.AAL1)
	p := &party{t: t, kind: kind, s: s}
	switch kind {
	case "browser":
		p.c = s.Browser(t)
		p.c.SetSessionCookie(s, tok)
	case "spa":
		p.c = s.SPA(t)
		p.c.SetSessionCookie(s, tok)
	default:
		p.c = s.Native(t)
		p.c.Header.Set("X-Session-Token", tok)
	}
	return p
}

func (p *party) getJSON(path string) *apptest.Response {
	return p.c.Do(http.MethodGet, p.s.PublicURL(path), nil, http.Header{"Accept": {"application/json"}})
}

func (p *party) flow(kind, id string) map[string]any {
	p.t.Helper()
	r := p.getJSON("/self-service/" + kind + "/flows?id=" + id)
	if r.StatusCode != http.StatusOK {
		p.t.Fatalf("get %s flow: %d %s", kind, r.StatusCode, r.Body)
	}
	return r.Map(p.t)
}

// start creates a flow (kind "settings" or "login") with query q and returns it.
func (p *party) start(kind, q string) (*apptest.Response, map[string]any) {
	p.t.Helper()
	path := "/self-service/" + kind + "/browser"
	if p.kind == "native" {
		path = "/self-service/" + kind + "/api"
	}
	if q != "" {
		path += "?" + q
	}
	r := p.c.Get(p.s.PublicURL(path))
	if p.kind != "browser" {
		if r.StatusCode != http.StatusOK {
			return r, nil
		}
		return r, r.Map(p.t)
	}
	if r.StatusCode != http.StatusSeeOther {
		return r, nil
	}
	id := apptest.URL(p.t, r.Header.Get("Location")).Query().Get("flow")
	if id == "" {
		return r, nil
	}
	return r, p.flow(kind, id)
}

// submit posts fields to the flow; a browser's 303 back to a flow UI is followed to the flow.
func (p *party) submit(kind string, f map[string]any, fields map[string]any) (*apptest.Response, map[string]any) {
	p.t.Helper()
	action := str(f, "ui", "action")
	if n := node(f, "default", "csrf_token"); n != nil {
		fields["csrf_token"] = str(n, "attributes", "value")
	}
	if p.kind != "browser" {
		r := p.c.PostJSON(action, fields)
		var m map[string]any
		if len(r.Body) > 0 && r.Body[0] == '{' {
			m = r.Map(p.t)
		}
		return r, m
	}
	form := url.Values{}
	for k, v := range fields {
		form.Set(k, fmt.Sprint(v))
	}
	r := p.c.PostForm(action, form)
	if r.StatusCode != http.StatusSeeOther {
		return r, nil
	}
	id := apptest.URL(p.t, r.Header.Get("Location")).Query().Get("flow")
	if id == "" {
		return r, nil
	}
	return r, p.flow(kind, id)
}

func walk(v any, keys ...string) any {
	for _, k := range keys {
		m, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = m[k]
	}
	return v
}

func str(v any, keys ...string) string {
	s, _ := walk(v, keys...).(string)
	return s
}

func nodes(f map[string]any) []map[string]any {
	raw, _ := walk(f, "ui", "nodes").([]any)
	var out []map[string]any
	for _, n := range raw {
		if m, ok := n.(map[string]any); ok {
			out = append(out, m)
		}
	}
	return out
}

func node(f map[string]any, group, name string) map[string]any {
	for _, n := range nodes(f) {
		if n["group"] == group && (str(n, "attributes", "name") == name || str(n, "attributes", "id") == name) {
			return n
		}
	}
	return nil
}

func names(f map[string]any) string {
	var out []string
	for _, n := range nodes(f) {
		name := str(n, "attributes", "name")
		if name == "" {
			name = str(n, "attributes", "id")
		}
		out = append(out, fmt.Sprint(n["group"], ":", name))
	}
	return strings.Join(out, " ")
}

// messageIDs lists the ids of the flow's messages and of every node's messages.
func messageIDs(f map[string]any) []int {
	var ids []int
	collect := func(v any) {
		list, _ := v.([]any)
		for _, m := range list {
			if id, ok := walk(m, "id").(float64); ok {
				ids = append(ids, int(id))
			}
		}
	}
	collect(walk(f, "ui", "messages"))
	for _, n := range nodes(f) {
		collect(n["messages"])
	}
	return ids
}

func messageTexts(f map[string]any) string {
	var out []string
	list, _ := walk(f, "ui", "messages").([]any)
	for _, m := range list {
		out = append(out, str(m, "text"))
	}
	return strings.Join(out, " | ")
}
