package apptest

import (
	"net/http"
	"net/url"
	"testing"
)

// RegisterNative signs up email with password through the native registration flow and
// returns the session token (the session hook is on in dev mode).
func (s *Server) RegisterNative(t testing.TB, email, password string) string {
	t.Helper()
	app := s.Native(t)
	f := app.Get(s.PublicURL("/self-service/registration/api"))
	if f.StatusCode != http.StatusOK {
		t.Fatalf("create registration flow: %d %s", f.StatusCode, f.Body)
	}
	var flow struct{ ID string }
	f.JSON(t, &flow)
	res := app.PostJSON(s.PublicURL("/self-service/registration?flow="+flow.ID), map[string]any{
		"method": "password", "password": password,
		"traits": map[string]any{"email": email, "name": map[string]any{"first": "Ada", "last": "Lovelace"}},
	})
	if res.StatusCode != http.StatusOK {
		t.Fatalf("register %s: %d %s", email, res.StatusCode, res.Body)
	}
	var out struct {
		SessionToken string `json:"session_token"`
	}
	res.JSON(t, &out)
	return out.SessionToken
}

// LoginNative signs in through the native login flow and returns the session token.
func (s *Server) LoginNative(t testing.TB, email, password string) string {
	t.Helper()
	app := s.Native(t)
	f := app.Get(s.PublicURL("/self-service/login/api"))
	if f.StatusCode != http.StatusOK {
		t.Fatalf("create login flow: %d %s", f.StatusCode, f.Body)
	}
	var flow struct{ ID string }
	f.JSON(t, &flow)
	res := app.PostJSON(s.PublicURL("/self-service/login?flow="+flow.ID), map[string]any{
		"method": "password", "identifier": email, "password": password,
	})
	if res.StatusCode != http.StatusOK {
		t.Fatalf("login %s: %d %s", email, res.StatusCode, res.Body)
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
			Nodes []struct {
				Attributes struct {
					Name  string `json:"name"`
					Value any    `json:"value"`
				} `json:"attributes"`
			} `json:"nodes"`
		} `json:"ui"`
	}
	r.JSON(t, &f)
	for _, n := range f.UI.Nodes {
		if n.Attributes.Name == "csrf_token" {
			v, _ := n.Attributes.Value.(string)
			return v
		}
	}
	t.Fatalf("no csrf_token node in %s", r.Body)
	return ""
}
