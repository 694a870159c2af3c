package apptest

import (
	"net/http"
	"net/url"
	"testing"

	"github.com/portico-auth/portico/internal/flow"
)

// RegisterNative signs up email with password through the native registration flow and
// returns the session token (the session hook is on in dev mode).
func (s *Server) RegisterNative(t testing.TB, email, password string) string {
	t.Helper()
	return s.nativeSubmit(t, "registration", "register "+email, map[string]any{
		"method": "password", "password": password,
		"traits": map[string]any{"email": email, "name": map[string]any{"first": "Ada", "last": "Lovelace"}},
	})
}

// LoginNative signs in through the native login flow and returns the session token.
func (s *Server) LoginNative(t testing.TB, email, password string) string {
	t.Helper()
	return s.nativeSubmit(t, "login", "login "+email, map[string]any{
		"method": "password", "identifier": email, "password": password,
	})
}

// nativeSubmit creates a native flow of kind ("login", "registration"), submits body to it
// and returns the session token of the reply, which must be 200 (what names the step in a
// failure).
func (s *Server) nativeSubmit(t testing.TB, kind, what string, body map[string]any) string {
	t.Helper()
	app := s.Native(t)
	f := app.Get(s.PublicURL("/self-service/" + kind + "/api"))
	if f.StatusCode != http.StatusOK {
		t.Fatalf("create %s flow: %d %s", kind, f.StatusCode, f.Body)
	}
	var flow struct{ ID string }
	f.JSON(t, &flow)
	res := app.PostJSON(s.PublicURL("/self-service/"+kind+"?flow="+flow.ID), body)
	if res.StatusCode != http.StatusOK {
		t.Fatalf("%s: %d %s", what, res.StatusCode, res.Body)
	}
	var out struct {
		SessionToken string `json:"session_token"`
	}
	res.JSON(t, &out)
	return out.SessionToken
}

// LoginBrowser signs the browser c in through the browser login flow (form post, as an HTML
// page would); afterwards c's cookie jar holds the session cookie.
func (s *Server) LoginBrowser(t testing.TB, c *Client, email, password string) {
	t.Helper()
	id, csrf := s.BrowserFlow(t, c, "login")
	res := c.PostForm(s.PublicURL("/self-service/login?flow="+id), url.Values{
		"method": {"password"}, "identifier": {email}, "password": {password}, "csrf_token": {csrf},
	})
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("browser login %s: %d %s", email, res.StatusCode, res.Body)
	}
	if loc := res.Header.Get("Location"); loc == "" || URL(t, loc).Query().Get("flow") != "" {
		t.Fatalf("browser login %s failed: sent to %s", email, loc)
	}
}

// BrowserFlow starts the browser flow named kind ("login", "registration") with c, follows
// the 303 to the UI URL and returns the flow id and the flow's CSRF token.
func (s *Server) BrowserFlow(t testing.TB, c *Client, kind string) (id, csrf string) {
	t.Helper()
	res := c.Get(s.PublicURL("/self-service/" + kind + "/browser"))
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("create browser %s flow: %d %s", kind, res.StatusCode, res.Body)
	}
	id = URL(t, res.Header.Get("Location")).Query().Get("flow")
	if id == "" {
		t.Fatalf("create browser %s flow: redirected to %s", kind, res.Header.Get("Location"))
	}
	f := c.Do(http.MethodGet, s.PublicURL("/self-service/"+kind+"/flows?id="+id), nil, http.Header{"Accept": {"application/json"}})
	if f.StatusCode != http.StatusOK {
		t.Fatalf("get %s flow: %d %s", kind, f.StatusCode, f.Body)
	}
	return id, CSRFToken(t, f)
}

// CSRFToken reads the csrf_token node's value out of a flow reply.
func CSRFToken(t testing.TB, r *Response) string {
	t.Helper()
	var f struct {
		UI struct {
			Nodes flow.Nodes `json:"nodes"`
		} `json:"ui"`
	}
	r.JSON(t, &f)
	if f.UI.Nodes.Find("csrf_token") == nil {
		t.Fatalf("no csrf_token node in %s", r.Body)
	}
	return f.UI.Nodes.CSRFToken()
}
