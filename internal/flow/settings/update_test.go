package settings_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/portico-auth/portico/internal/apptest"
	"github.com/portico-auth/portico/internal/identity"
)

func submit(fx *fixture, c *apptest.Client, f *settingsFlow, body map[string]any) *apptest.Response {
	b := map[string]any{}
	for k, v := range body {
		b[k] = v
	}
	if _, ok := b["csrf_token"]; !ok && f.Type == "browser" {
		b["csrf_token"] = f.csrf()
	}
	return c.PostJSON(fx.url("/self-service/settings?flow="+f.ID), b)
}

func profileBody(email, first string) map[string]any {
	return map[string]any{"method": "profile", "traits": map[string]any{
		"email": email, "name": map[string]any{"first": first, "last": "Lovelace"},
	}}
}

func (fx *fixture) storedIdentity(t *testing.T) *identity.Identity {
	t.Helper()
	id, err := fx.s.App.Store.GetIdentity(context.Background(), fx.ident.ID, true)
	if err != nil {
		t.Fatal(err)
	}
	return id
}

func (fx *fixture) passwordIs(t *testing.T, pw string) bool {
	t.Helper()
	var cfg identity.PasswordConfig
	if err := json.Unmarshal(fx.storedIdentity(t).Credentials[identity.CredentialsPassword].Config, &cfg); err != nil {
		t.Fatal(err)
	}
	return fx.s.App.Hasher.Compare(context.Background(), []byte(pw), cfg.HashedPassword) == nil
}

func wantSuccess(t *testing.T, fx *fixture, r *apptest.Response, old *settingsFlow) *settingsFlow {
	t.Helper()
	wantStatus(t, r, http.StatusOK)
	f := decodeFlow(t, r)
	if f.ID != old.ID || f.State != "success" || !slices.Contains(f.flowMessages(), 1050001) {
		t.Fatalf("id %s state %q messages %v", f.ID, f.State, f.flowMessages())
	}
	// The next form posts to a new flow, which exists.
	next := apptest.URL(t, f.UI.Action).Query().Get("flow")
	if next == "" || next == f.ID {
		t.Fatalf("ui.action %q does not point to a new flow", f.UI.Action)
	}
	return f
}

func TestUpdateProfile(t *testing.T) {
	fx := newFixture(t)
	c := fx.spa(t)
	f := fx.newBrowserFlow(t, c)

	r := submit(fx, c, f, profileBody("a@example.com", "Augusta"))
	got := wantSuccess(t, fx, r, f)
	if tr := got.traits(t); tr["name"].(map[string]any)["first"] != "Augusta" {
		t.Errorf("traits %v", tr)
	}
	next := apptest.URL(t, got.UI.Action).Query().Get("flow")
	wantStatus(t, c.Get(fx.url("/self-service/settings/flows?id="+next)), http.StatusOK)
	if v := nodeValue(got, "traits.name.first"); v != "Augusta" {
		t.Errorf("node value %v", v)
	}

	t.Run("posting again to a completed flow is accepted", func(t *testing.T) {
		r := submit(fx, c, f, profileBody("a@example.com", "Ada"))
		wantSuccess(t, fx, r, f)
	})
	t.Run("a name change needs no privileged session", func(t *testing.T) {
		fx.s.Clock.Advance(2 * fx.s.Config.SelfService.Flows.Settings.PrivilegedSessionMaxAge)
		f := fx.newBrowserFlow(t, c)
		wantSuccess(t, fx, submit(fx, c, f, profileBody("a@example.com", "Grace")), f)
	})
}

func nodeValue(f *settingsFlow, name string) any {
	for _, n := range f.UI.Nodes {
		if n.Attributes.Name == name {
			return n.Attributes.Value
		}
	}
	return nil
}

func TestUpdateProfileValidation(t *testing.T) {
	fx := newFixture(t)
	fx.s.CreateIdentity(t, "taken@example.com", password)
	c := fx.spa(t)
	cases := []struct {
		name  string
		body  map[string]any
		node  string
		msgID int
	}{
		{"invalid email", profileBody("not-an-email", "Ada"), "traits.email", 4000040},
		{"missing email", map[string]any{"method": "profile", "traits": map[string]any{"name": map[string]any{"first": "Ada"}}}, "traits.email", 4000002},
		{"duplicate identifier", profileBody("taken@example.com", "Ada"), "traits.email", 4000007},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := fx.newBrowserFlow(t, c)
			r := submit(fx, c, f, tc.body)
			wantStatus(t, r, http.StatusBadRequest)
			got := decodeFlow(t, r)
			if got.State != "show_form" || !slices.Contains(got.nodeMessages("profile", tc.node), tc.msgID) {
				t.Errorf("state %q messages on %s: %v\n%s", got.State, tc.node, got.nodeMessages("profile", tc.node), r.Body)
			}
			if fx.storedIdentity(t).Traits == nil || !strings.Contains(string(fx.storedIdentity(t).Traits), "a@example.com") {
				t.Error("refused traits were stored")
			}
		})
	}
	t.Run("browser form 303 back to the UI showing the messages", func(t *testing.T) {
		b := fx.browser(t)
		r := b.Get(fx.url("/self-service/settings/browser"))
		id := apptest.URL(t, r.Header.Get("Location")).Query().Get("flow")
		f := decodeFlow(t, b.Do(http.MethodGet, fx.url("/self-service/settings/flows?id="+id), nil, http.Header{"Accept": {"application/json"}}))
		res := b.PostForm(fx.url("/self-service/settings?flow="+id), url.Values{
			"csrf_token": {f.csrf()}, "method": {"profile"}, "traits.email": {"nope"}, "traits.name.first": {"Ada"},
		})
		wantStatus(t, res, http.StatusSeeOther)
		wantLocation(t, res, fx.uiURL(id))
		g := decodeFlow(t, b.Do(http.MethodGet, fx.url("/self-service/settings/flows?id="+id), nil, http.Header{"Accept": {"application/json"}}))
		if !slices.Contains(g.nodeMessages("profile", "traits.email"), 4000040) || nodeValue(g, "traits.email") != "nope" {
			t.Errorf("messages %v value %v", g.nodeMessages("profile", "traits.email"), nodeValue(g, "traits.email"))
		}
	})
	t.Run("unknown method", func(t *testing.T) {
		f := fx.newBrowserFlow(t, c)
		r := submit(fx, c, f, map[string]any{"method": "carrier-pigeon"})
		wantStatus(t, r, http.StatusBadRequest)
		if got := decodeFlow(t, r); !slices.Contains(got.flowMessages(), 4010004) {
			t.Errorf("messages %v", got.flowMessages())
		}
	})
}

func TestUpdateBrowserFormSuccess(t *testing.T) {
	fx := newFixture(t, withAllowedReturn)
	b := fx.browser(t)
	for _, tc := range []struct{ name, query, want string }{
		{"back to the UI", "", ""},
		{"to return_to", "?return_to=" + url.QueryEscape("https://app.example/after"), "https://app.example/after"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := b.Get(fx.url("/self-service/settings/browser" + tc.query))
			wantStatus(t, r, http.StatusSeeOther)
			id := apptest.URL(t, r.Header.Get("Location")).Query().Get("flow")
			f := decodeFlow(t, b.Do(http.MethodGet, fx.url("/self-service/settings/flows?id="+id), nil, http.Header{"Accept": {"application/json"}}))
			res := b.PostForm(fx.url("/self-service/settings?flow="+id), url.Values{
				"csrf_token": {f.csrf()}, "method": {"profile"}, "traits.email": {"a@example.com"},
				"traits.name.first": {"Form"}, "traits.name.last": {""},
			})
			wantStatus(t, res, http.StatusSeeOther)
			want := tc.want
			if want == "" {
				want = fx.uiURL(id)
			}
			wantLocation(t, res, want)
			if s := string(fx.storedIdentity(t).Traits); !strings.Contains(s, `"Form"`) || strings.Contains(s, `"last"`) {
				t.Errorf("traits %s", s)
			}
		})
	}
}

func TestUpdatePassword(t *testing.T) {
	fx := newFixture(t)
	c := fx.spa(t)
	cases := []struct {
		name, pw string
		msgID    int
	}{
		{"empty", "", 4000002},
		{"too short", "short", 4000032},
		{"too similar to the identifier", "a@example.com", 4000031},
		{"commonly used", "football", 4000034},
		{"commonly used, any case", "BaseBall", 4000034},
		{"same as the current", password, 4000039},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := fx.newBrowserFlow(t, c)
			r := submit(fx, c, f, map[string]any{"method": "password", "password": tc.pw})
			wantStatus(t, r, http.StatusBadRequest)
			got := decodeFlow(t, r)
			if !slices.Contains(got.nodeMessages("password", "password"), tc.msgID) {
				t.Errorf("messages %v, want %d", got.nodeMessages("password", "password"), tc.msgID)
			}
			if strings.Contains(string(r.Body), tc.pw) && tc.pw != "" && tc.msgID != 4000031 {
				t.Error("the refused password travels back")
			}
		})
	}
	t.Run("success", func(t *testing.T) {
		f := fx.newBrowserFlow(t, c)
		wantSuccess(t, fx, submit(fx, c, f, map[string]any{"method": "password", "password": "a brand new passphrase"}), f)
		if !fx.passwordIs(t, "a brand new passphrase") || fx.passwordIs(t, password) {
			t.Error("password not replaced")
		}
	})
}

// TestUpdatePrivileged covers changes that need a recent authentication: 403 with the refresh
// URL at the top level only, and the parked change applied after the refresh login.
func TestUpdatePrivileged(t *testing.T) {
	cases := []struct {
		name  string
		body  map[string]any
		check func(t *testing.T, fx *fixture)
	}{
		{"identifier change", profileBody("new@example.com", "Ada"), func(t *testing.T, fx *fixture) {
			if !strings.Contains(string(fx.storedIdentity(t).Traits), "new@example.com") {
				t.Errorf("traits %s", fx.storedIdentity(t).Traits)
			}
		}},
		{"password", map[string]any{"method": "password", "password": "a brand new passphrase"}, func(t *testing.T, fx *fixture) {
			if !fx.passwordIs(t, "a brand new passphrase") {
				t.Error("password not changed")
			}
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name+"/ajax", func(t *testing.T) {
			fx := newFixture(t)
			c := fx.spa(t)
			// The session's authentication is old, the flow is fresh.
			fx.s.Clock.Advance(fx.s.Config.SelfService.Flows.Settings.PrivilegedSessionMaxAge + 1)
			f := fx.newBrowserFlow(t, c)
			r := submit(fx, c, f, tc.body)
			wantStatus(t, r, http.StatusForbidden)
			e := decodeError(t, r)
			want := fx.url("/self-service/login/browser?refresh=true&return_to=" + url.QueryEscape(fx.url("/self-service/settings?flow="+f.ID)))
			if e.Error.ID != "session_refresh_required" || e.RedirectBrowserTo != want {
				t.Errorf("error %+v top-level redirect %q, want %q", e.Error, e.RedirectBrowserTo, want)
			}
			if _, ok := e.Error.Details["redirect_browser_to"]; ok {
				t.Error("redirect_browser_to must only be at the top level")
			}
			if body, _ := tc.body["password"].(string); body != "" && strings.Contains(string(r.Body), body) {
				t.Error("the password travels back")
			}
			// Reading the flow never needs a privileged session and never shows the parked change.
			g := c.Get(fx.url("/self-service/settings/flows?id=" + f.ID))
			wantStatus(t, g, http.StatusOK)
			if strings.Contains(string(g.Body), "portico_pending") || strings.Contains(string(g.Body), "brand new") ||
				strings.Contains(string(g.Body), "new@example.com") {
				t.Errorf("flow shows the parked change: %s", g.Body)
			}
			// Without a refresh the change stays parked: back to the refresh login. The SPA's
			// browser navigates there itself (its cookies hold the continuity cookie).
			b := fx.s.Browser(t)
			b.HTTP.Jar = c.HTTP.Jar
			stillOld := b.Get(fx.url("/self-service/settings?flow=" + f.ID))
			wantStatus(t, stillOld, http.StatusSeeOther)
			wantLocation(t, stillOld, want)

			fx.refresh(t)
			res := b.Get(fx.url("/self-service/settings?flow=" + f.ID))
			wantStatus(t, res, http.StatusSeeOther)
			wantLocation(t, res, fx.uiURL(f.ID))
			tc.check(t, fx)
			done := decodeFlow(t, c.Get(fx.url("/self-service/settings/flows?id="+f.ID)))
			if done.State != "success" || !slices.Contains(done.flowMessages(), 1050001) {
				t.Errorf("state %q messages %v", done.State, done.flowMessages())
			}
		})
		t.Run(tc.name+"/browser form", func(t *testing.T) {
			fx := newFixture(t)
			b := fx.browser(t)
			fx.s.Clock.Advance(fx.s.Config.SelfService.Flows.Settings.PrivilegedSessionMaxAge + 1)
			f := fx.newBrowserFlow(t, fx.spa(t))
			useBrowserToken(t, fx, b, f)
			form := url.Values{"csrf_token": {f.csrf()}}
			flatten("", tc.body, form)
			r := b.PostForm(fx.url("/self-service/settings?flow="+f.ID), form)
			wantStatus(t, r, http.StatusSeeOther)
			if loc := r.Header.Get("Location"); strings.Contains(loc, "/ui/error") {
				e := fx.s.Native(t).Get(fx.url("/self-service/errors?id=" + apptest.URL(t, loc).Query().Get("id")))
				t.Fatalf("sent to the error UI: %s", e.Body)
			}
			wantLocation(t, r, fx.url("/self-service/login/browser?refresh=true&return_to="+url.QueryEscape(fx.url("/self-service/settings?flow="+f.ID))))
			fx.refresh(t)
			wantLocation(t, b.Get(fx.url("/self-service/settings?flow="+f.ID)), fx.uiURL(f.ID))
			tc.check(t, fx)
		})
	}
}

// useBrowserToken replaces f's CSRF token with one valid for browser b: the flow was created
// by another client, whose cookie b does not hold.
func useBrowserToken(t *testing.T, fx *fixture, b *apptest.Client, f *settingsFlow) {
	t.Helper()
	r := b.Do(http.MethodGet, fx.url("/self-service/settings/browser"), nil, http.Header{"Accept": {"application/json"}})
	wantStatus(t, r, http.StatusOK)
	f.UI.Nodes[0].Attributes.Value = decodeFlow(t, r).csrf()
}

func flatten(prefix string, v any, out url.Values) {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			p := k
			if prefix != "" {
				p = prefix + "." + k
			}
			flatten(p, e, out)
		}
	case string:
		out.Set(prefix, x)
	}
}

func TestUpdateCSRF(t *testing.T) {
	fx := newFixture(t)
	c := fx.spa(t)
	t.Run("browser flow without token", func(t *testing.T) {
		f := fx.newBrowserFlow(t, c)
		r := submit(fx, c, f, map[string]any{"method": "profile", "csrf_token": "", "traits": map[string]any{"email": "a@example.com"}})
		wantStatus(t, r, http.StatusForbidden)
		if e := decodeError(t, r); e.Error.ID != "security_csrf_violation" {
			t.Errorf("error %+v", e.Error)
		}
	})
	t.Run("browser flow with a session token and no cookies", func(t *testing.T) {
		f := fx.newBrowserFlow(t, c)
		r := submit(fx, fx.native(t), f, profileBody("a@example.com", "Ada"))
		wantStatus(t, r, http.StatusForbidden)
		if e := decodeError(t, r); e.Error.ID != "security_csrf_violation" {
			t.Errorf("error %+v", e.Error)
		}
	})
	t.Run("browser form without token goes to the error UI", func(t *testing.T) {
		b := fx.browser(t)
		r := b.Get(fx.url("/self-service/settings/browser"))
		id := apptest.URL(t, r.Header.Get("Location")).Query().Get("flow")
		res := b.PostForm(fx.url("/self-service/settings?flow="+id), url.Values{"method": {"profile"}, "traits.email": {"a@example.com"}})
		wantStatus(t, res, http.StatusSeeOther)
		if loc := res.Header.Get("Location"); !strings.HasPrefix(loc, fx.s.Config.FlowUIURL("error")+"?id=") {
			t.Errorf("Location %q", loc)
		}
	})
	t.Run("api flow needs no token", func(t *testing.T) {
		f := fx.newAPIFlow(t)
		wantSuccess(t, fx, submit(fx, fx.native(t), f, profileBody("a@example.com", "Api")), f)
	})
}

func TestUpdateErrors(t *testing.T) {
	fx := newFixture(t)
	c := fx.spa(t)
	f := fx.newBrowserFlow(t, c)
	t.Run("no session 401 without id", func(t *testing.T) {
		r := fx.s.SPA(t).PostJSON(fx.url("/self-service/settings?flow="+f.ID), profileBody("a@example.com", "X"))
		wantStatus(t, r, http.StatusUnauthorized)
		if e := decodeError(t, r); e.Error.ID != "" {
			t.Errorf("error %+v", e.Error)
		}
	})
	t.Run("unknown flow 404", func(t *testing.T) {
		r := c.PostJSON(fx.url("/self-service/settings?flow="+uuid.NewString()), profileBody("a@example.com", "X"))
		wantStatus(t, r, http.StatusNotFound)
	})
	t.Run("malformed flow 400", func(t *testing.T) {
		r := c.PostJSON(fx.url("/self-service/settings?flow=nope"), profileBody("a@example.com", "X"))
		wantStatus(t, r, http.StatusBadRequest)
	})
	t.Run("other identity 403", func(t *testing.T) {
		other := fx.s.CreateIdentity(t, "b@example.com", password)
		o := fx.s.SPA(t)
		o.SetSessionCookie(fx.s, fx.s.IssueSession(t, other, "aal1"))
		fx.newBrowserFlow(t, o) // gives o a CSRF cookie
		r := submit(fx, o, f, profileBody("b@example.com", "X"))
		wantStatus(t, r, http.StatusForbidden)
		if e := decodeError(t, r); e.Error.ID != "security_identity_mismatch" {
			t.Errorf("error %+v", e.Error)
		}
	})
}

func TestUpdateExpired(t *testing.T) {
	fx := newFixture(t)
	c := fx.spa(t)
	f := fx.newBrowserFlow(t, c)
	b := fx.browser(t)
	r := b.Get(fx.url("/self-service/settings/browser"))
	formFlow := apptest.URL(t, r.Header.Get("Location")).Query().Get("flow")
	fx.s.Clock.Advance(fx.s.Config.FlowLifespan("settings") + 1)

	t.Run("json 410 with use_flow_id", func(t *testing.T) {
		r := submit(fx, c, f, profileBody("a@example.com", "Late"))
		wantStatus(t, r, http.StatusGone)
		e := decodeError(t, r)
		next, _ := e.Error.Details["use_flow_id"].(string)
		if e.Error.ID != "self_service_flow_expired" || next == "" || next == f.ID {
			t.Fatalf("error %+v", e.Error)
		}
		g := c.Get(fx.url("/self-service/settings/flows?id=" + next))
		wantStatus(t, g, http.StatusOK)
		if nf := decodeFlow(t, g); !slices.Contains(nf.flowMessages(), 4050001) || nf.State != "show_form" {
			t.Errorf("new flow messages %v", nf.flowMessages())
		}
	})
	t.Run("browser form 303 to the new flow", func(t *testing.T) {
		res := b.PostForm(fx.url("/self-service/settings?flow="+formFlow), url.Values{"method": {"profile"}})
		wantStatus(t, res, http.StatusSeeOther)
		next := apptest.URL(t, res.Header.Get("Location")).Query().Get("flow")
		if next == "" || next == formFlow {
			t.Fatalf("Location %q", res.Header.Get("Location"))
		}
		wantLocation(t, res, fx.uiURL(next))
	})
}
