package login_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/portico-auth/portico/internal/apptest"
	"github.com/portico-auth/portico/internal/hash"
	"github.com/portico-auth/portico/internal/identity"
)

// flowReply is the part of a flow reply the tests look at.
type flowReply struct {
	ID    string `json:"id"`
	State string `json:"state"`
	UI    struct {
		Messages []struct {
			ID int `json:"id"`
		} `json:"messages"`
		Nodes []struct {
			Attributes struct {
				Name  string `json:"name"`
				Type  string `json:"type"`
				Value any    `json:"value"`
			} `json:"attributes"`
			Messages []struct {
				ID int `json:"id"`
			} `json:"messages"`
		} `json:"nodes"`
	} `json:"ui"`
}

func (f flowReply) messageIDs() []int {
	var ids []int
	for _, m := range f.UI.Messages {
		ids = append(ids, m.ID)
	}
	return ids
}

func (f flowReply) node(name string) (value any, msgs []int, typ string) {
	for _, n := range f.UI.Nodes {
		if n.Attributes.Name == name {
			for _, m := range n.Messages {
				msgs = append(msgs, m.ID)
			}
			return n.Attributes.Value, msgs, n.Attributes.Type
		}
	}
	return nil, nil, ""
}

type errorReply struct {
	Error struct {
		ID      string         `json:"id"`
		Code    int            `json:"code"`
		Reason  string         `json:"reason"`
		Details map[string]any `json:"details"`
	} `json:"error"`
}

func errorOf(t *testing.T, r *apptest.Response, status int, id string) errorReply {
	t.Helper()
	if r.StatusCode != status {
		t.Fatalf("status %d, want %d: %s", r.StatusCode, status, r.Body)
	}
	var e errorReply
	r.JSON(t, &e)
	if e.Error.ID != id || e.Error.Code != status {
		t.Fatalf("error %q/%d, want %q/%d: %s", e.Error.ID, e.Error.Code, id, status, r.Body)
	}
	return e
}

func nativeFlow(t *testing.T, s *apptest.Server, c *apptest.Client, query string) string {
	t.Helper()
	r := c.Get(s.PublicURL("/self-service/login/api" + query))
	if r.StatusCode != http.StatusOK {
		t.Fatalf("create flow: %d %s", r.StatusCode, r.Body)
	}
	return r.Map(t)["id"].(string)
}

func submit(c *apptest.Client, s *apptest.Server, id string, body map[string]any) *apptest.Response {
	return c.PostJSON(s.PublicURL("/self-service/login?flow="+id), body)
}

func TestWrongCredentialsLookAlike(t *testing.T) {
	s := apptest.Start(t)
	s.CreateIdentity(t, email, pw)
	app := s.Native(t)
	for _, tc := range []struct{ name, identifier, password string }{
		{"wrong password", email, "not the password"},
		{"unknown identifier", "nobody@example.com", pw},
		{"legacy field name", "", "not the password"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			id := nativeFlow(t, s, app, "")
			body := map[string]any{"method": "password", "identifier": tc.identifier, "password": tc.password}
			if tc.identifier == "" {
				body = map[string]any{"method": "password", "password_identifier": email, "password": tc.password}
			}
			r := submit(app, s, id, body)
			if r.StatusCode != http.StatusBadRequest {
				t.Fatalf("status %d: %s", r.StatusCode, r.Body)
			}
			var f flowReply
			r.JSON(t, &f)
			if got := f.messageIDs(); len(got) != 1 || got[0] != 4000006 {
				t.Fatalf("messages %v", got)
			}
			want := tc.identifier
			if want == "" {
				want = email
			}
			if v, _, _ := f.node("identifier"); v != want {
				t.Errorf("identifier value %v, want %q", v, want)
			}
			if v, _, _ := f.node("password"); v != nil {
				t.Errorf("password value sent back: %v", v)
			}
		})
	}
}

func TestMissingFieldsAndUnknownMethod(t *testing.T) {
	s := apptest.Start(t)
	app := s.Native(t)
	r := submit(app, s, nativeFlow(t, s, app, ""), map[string]any{"method": "password"})
	var f flowReply
	r.JSON(t, &f)
	if _, m, _ := f.node("identifier"); r.StatusCode != 400 || len(m) != 1 || m[0] != 4000002 {
		t.Fatalf("missing identifier: %d %s", r.StatusCode, r.Body)
	}
	r = submit(app, s, nativeFlow(t, s, app, ""), map[string]any{"method": "carrier-pigeon"})
	f = flowReply{}
	r.JSON(t, &f)
	if got := f.messageIDs(); r.StatusCode != 400 || len(got) != 1 || got[0] != 4010002 {
		t.Fatalf("unknown method: %d %s", r.StatusCode, r.Body)
	}
}

func TestInactiveIdentityCannotSignIn(t *testing.T) {
	s := apptest.Start(t)
	id := s.CreateIdentity(t, email, pw)
	id.State = identity.StateInactive
	id.StateChangedAt = nil
	if err := s.App.Identities.Update(context.Background(), id); err != nil {
		t.Fatal(err)
	}
	app := s.Native(t)
	r := submit(app, s, nativeFlow(t, s, app, ""), map[string]any{"method": "password", "identifier": email, "password": pw})
	var f flowReply
	r.JSON(t, &f)
	if got := f.messageIDs(); r.StatusCode != 400 || len(got) != 1 || got[0] != 4000006 {
		t.Fatalf("inactive: %d %s", r.StatusCode, r.Body)
	}
}

func TestFlowErrors(t *testing.T) {
	s := apptest.Start(t)
	s.CreateIdentity(t, email, pw)
	app := s.Native(t)

	t.Run("unknown flow", func(t *testing.T) {
		errorOf(t, submit(app, s, "6a1c1f0e-3f0a-4d38-9d57-2b0e4c6b1a55", map[string]any{"method": "password"}), 404, "")
		errorOf(t, app.Get(s.PublicURL("/self-service/login/flows?id=nope")), 404, "")
	})
	t.Run("expired flow, native", func(t *testing.T) {
		id := nativeFlow(t, s, app, "")
		s.Clock.Advance(2 * time.Hour)
		e := errorOf(t, submit(app, s, id, map[string]any{"method": "password", "identifier": email, "password": pw}), 410, "self_service_flow_expired")
		newID, _ := e.Error.Details["use_flow_id"].(string)
		if newID == "" || newID == id {
			t.Fatalf("use_flow_id = %v", e.Error.Details)
		}
		r := app.Get(s.PublicURL("/self-service/login/flows?id=" + newID))
		var f flowReply
		r.JSON(t, &f)
		if got := f.messageIDs(); len(got) != 1 || got[0] != 4010001 {
			t.Errorf("new flow messages %v", got)
		}
		if r := submit(app, s, newID, map[string]any{"method": "password", "identifier": email, "password": pw}); r.StatusCode != 200 {
			t.Errorf("new flow: %d %s", r.StatusCode, r.Body)
		}
		errorOf(t, app.Get(s.PublicURL("/self-service/login/flows?id="+id)), 410, "")
	})
	t.Run("expired flow, browser", func(t *testing.T) {
		b := s.Browser(t)
		id, csrf := s.BrowserFlow(t, b, "login")
		s.Clock.Advance(2 * time.Hour)
		r := b.PostForm(s.PublicURL("/self-service/login?flow="+id), url.Values{"method": {"password"}, "csrf_token": {csrf}})
		loc := r.Header.Get("Location")
		if r.StatusCode != 303 || apptest.URL(t, loc).Query().Get("flow") == id || apptest.URL(t, loc).Query().Get("flow") == "" {
			t.Fatalf("expired browser submit: %d %s", r.StatusCode, loc)
		}
	})
	t.Run("csrf", func(t *testing.T) {
		spa := s.SPA(t)
		r := spa.Get(s.PublicURL("/self-service/login/browser"))
		id := r.Map(t)["id"].(string)
		errorOf(t, submit(spa, s, id, map[string]any{"method": "password", "identifier": email, "password": pw}), 403, "security_csrf_violation")
		errorOf(t, submit(spa, s, id, map[string]any{"method": "password", "identifier": email, "password": pw, "csrf_token": "forged"}), 403, "security_csrf_violation")
	})
	t.Run("native flow with browser cookies", func(t *testing.T) {
		id := nativeFlow(t, s, app, "")
		r := app.Do(http.MethodPost, s.PublicURL("/self-service/login?flow="+id),
			strings.NewReader(`{"method":"password","identifier":"`+email+`","password":"`+pw+`"}`),
			http.Header{"Content-Type": {"application/json"}, "Cookie": {"ory_kratos_session=x"}})
		errorOf(t, r, 400, "")
	})
	t.Run("bad aal and return_to", func(t *testing.T) {
		errorOf(t, app.Get(s.PublicURL("/self-service/login/api?aal=aal9")), 400, "")
		errorOf(t, app.Get(s.PublicURL("/self-service/login/api?return_to=https://evil.example/")), 400, "self_service_flow_return_to_forbidden")
	})
}

func TestSessionStates(t *testing.T) {
	s := apptest.Start(t)
	ident := s.CreateIdentity(t, email, pw)
	s.CreateIdentity(t, "grace@example.com", "another good password")
	app := s.Native(t)

	errorOf(t, app.Get(s.PublicURL("/self-service/login/api?aal=aal2")), 401, "session_aal1_required")

	tok := s.LoginNative(t, email, pw)
	errorOf(t, app.Do(http.MethodGet, s.PublicURL("/self-service/login/api"), nil, token(tok)), 400, "session_already_available")
	errorOf(t, app.Do(http.MethodGet, s.PublicURL("/self-service/login/api?aal=aal2"), nil, token(tok)), 400, "")

	// refresh: the same session is re-authenticated, with the identifier fixed
	before := whoami(t, s, app, token(tok)).Map(t)
	s.Clock.Advance(time.Minute)
	r := app.Do(http.MethodGet, s.PublicURL("/self-service/login/api?refresh=true"), nil, token(tok))
	if r.StatusCode != 200 {
		t.Fatalf("refresh flow: %d %s", r.StatusCode, r.Body)
	}
	var f flowReply
	r.JSON(t, &f)
	if v, _, typ := f.node("identifier"); v != email || typ != "hidden" {
		t.Errorf("refresh identifier %v (%s)", v, typ)
	}
	if got := f.messageIDs(); len(got) != 1 || got[0] != 1010003 {
		t.Errorf("refresh messages %v", got)
	}
	res := app.Do(http.MethodPost, s.PublicURL("/self-service/login?flow="+f.ID),
		strings.NewReader(`{"method":"password","identifier":"grace@example.com","password":"another good password"}`),
		http.Header{"Content-Type": {"application/json"}, "X-Session-Token": {tok}})
	if res.StatusCode != 400 {
		t.Fatalf("refresh as someone else: %d %s", res.StatusCode, res.Body)
	}
	res = app.Do(http.MethodPost, s.PublicURL("/self-service/login?flow="+f.ID),
		strings.NewReader(`{"method":"password","identifier":"`+email+`","password":"`+pw+`"}`),
		http.Header{"Content-Type": {"application/json"}, "X-Session-Token": {tok}})
	if res.StatusCode != 200 {
		t.Fatalf("refresh: %d %s", res.StatusCode, res.Body)
	}
	var out struct {
		SessionToken string `json:"session_token"`
		Session      struct {
			ID              string    `json:"id"`
			AuthenticatedAt time.Time `json:"authenticated_at"`
		} `json:"session"`
	}
	res.JSON(t, &out)
	if out.Session.ID != before["id"] || out.SessionToken != tok {
		t.Errorf("refresh issued another session: %s", res.Body)
	}
	if !out.Session.AuthenticatedAt.After(mustTime(t, before["authenticated_at"])) {
		t.Errorf("authenticated_at not moved: %v", out.Session.AuthenticatedAt)
	}
	_ = ident
}

func mustTime(t *testing.T, v any) time.Time {
	t.Helper()
	tm, err := time.Parse(time.RFC3339Nano, v.(string))
	if err != nil {
		t.Fatal(err)
	}
	return tm
}

func TestThrottle(t *testing.T) {
	s := apptest.Start(t)
	s.CreateIdentity(t, email, pw)
	app := s.Native(t)
	for _, who := range []string{email, "nobody@example.com"} {
		for i := range 5 {
			r := submit(app, s, nativeFlow(t, s, app, ""), map[string]any{"method": "password", "identifier": who, "password": "wrong"})
			if r.StatusCode != 400 {
				t.Fatalf("%s attempt %d: %d", who, i, r.StatusCode)
			}
		}
		r := submit(app, s, nativeFlow(t, s, app, ""), map[string]any{"method": "password", "identifier": who, "password": pw})
		errorOf(t, r, 429, "")
	}
	s.Clock.Advance(time.Hour)
	if tok := s.LoginNative(t, email, pw); tok == "" {
		t.Fatal("no token after the window")
	}
}

func TestLegacyHashIsUpgraded(t *testing.T) {
	s := apptest.Start(t)
	legacy := hash.New(hash.Options{Algorithm: hash.AlgorithmArgon2, Argon2: hash.Argon2Options{Memory: 64, Iterations: 1, Parallelism: 1}})
	h, err := legacy.Hash(context.Background(), []byte(pw))
	if err != nil {
		t.Fatal(err)
	}
	id := &identity.Identity{Traits: json.RawMessage(`{"email":"` + email + `"}`)}
	if err := s.App.Identities.Create(context.Background(), id, identity.CreateOptions{HashedPassword: h}); err != nil {
		t.Fatal(err)
	}
	s.LoginNative(t, email, pw)
	got, err := s.App.Store.GetIdentity(context.Background(), id.ID, true)
	if err != nil {
		t.Fatal(err)
	}
	var cfg identity.PasswordConfig
	_ = json.Unmarshal(got.Credentials[identity.CredentialsPassword].Config, &cfg)
	if !strings.HasPrefix(cfg.HashedPassword, "$2") {
		t.Fatalf("hash not upgraded: %.12s…", cfg.HashedPassword)
	}
	s.LoginNative(t, email, pw)
}
