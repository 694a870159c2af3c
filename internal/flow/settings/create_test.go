package settings_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/portico-auth/portico/internal/apptest"
)

// TestCreateBrowserValidSession is the 200 and 303 rows of the seed's status table, with the
// session carried every way Kratos accepts it.
func TestCreateBrowserValidSession(t *testing.T) {
	fx := newFixture(t)
	sessionCookie := fx.s.App.Sessions.Options().CookieName + "=" + fx.token
	cases := []struct {
		name   string
		client func() *apptest.Client
	}{
		{"cookie jar", func() *apptest.Client { return fx.spa(t) }},
		{"forwarded Cookie header", func() *apptest.Client {
			c := fx.s.Native(t)
			c.Header.Set("Cookie", sessionCookie)
			return c
		}},
		{"X-Session-Token", func() *apptest.Client { return fx.native(t) }},
		{"Authorization Bearer", func() *apptest.Client {
			c := fx.s.Native(t)
			c.Header.Set("Authorization", "Bearer "+fx.token)
			return c
		}},
	}
	for _, tc := range cases {
		t.Run("ajax 200/"+tc.name, func(t *testing.T) {
			r := tc.client().Get(fx.url("/self-service/settings/browser"))
			wantStatus(t, r, http.StatusOK)
			if !csrfCookieSet(r) {
				t.Error("no CSRF cookie")
			}
			f := decodeFlow(t, r)
			if f.Type != "browser" || f.State != "show_form" || f.ReturnTo != "" {
				t.Errorf("type %q state %q return_to %q", f.Type, f.State, f.ReturnTo)
			}
			if f.UI.Action != fx.url("/self-service/settings?flow="+f.ID) || f.UI.Method != "POST" {
				t.Errorf("action %q method %q", f.UI.Action, f.UI.Method)
			}
			if f.RequestURL != fx.url("/self-service/settings/browser") {
				t.Errorf("request_url %q", f.RequestURL)
			}
			if f.csrf() == "" {
				t.Error("browser flow without a CSRF token")
			}
			var names []string
			for _, n := range f.UI.Nodes {
				names = append(names, n.Group+":"+n.Attributes.Name)
			}
			want := "default:csrf_token profile:traits.email profile:traits.name.first profile:traits.name.last profile:method password:password password:method"
			if got := strings.Join(names, " "); got != want {
				t.Errorf("nodes\n got %s\nwant %s", got, want)
			}
			if tr := f.traits(t); tr["email"] != "a@example.com" {
				t.Errorf("traits %v", tr)
			}
		})
	}
	t.Run("browser 303", func(t *testing.T) {
		r := fx.browser(t).Get(fx.url("/self-service/settings/browser"))
		wantStatus(t, r, http.StatusSeeOther)
		if !csrfCookieSet(r) {
			t.Error("no CSRF cookie")
		}
		loc := apptest.URL(t, r.Header.Get("Location"))
		id := loc.Query().Get("flow")
		wantLocation(t, r, fx.uiURL(id))
		// The flow it points to is readable by its owner.
		g := fx.spa(t).Get(fx.url("/self-service/settings/flows?id=" + id))
		wantStatus(t, g, http.StatusOK)
	})
	t.Run("browser already holding a CSRF cookie gets no new one", func(t *testing.T) {
		c := fx.spa(t)
		first := c.Get(fx.url("/self-service/settings/browser"))
		second := c.Get(fx.url("/self-service/settings/browser"))
		if !csrfCookieSet(first) || csrfCookieSet(second) {
			t.Errorf("cookie set first %v, second %v", csrfCookieSet(first), csrfCookieSet(second))
		}
	})
}

// TestCreateBrowserNoSession is the 401 row and its browser column.
func TestCreateBrowserNoSession(t *testing.T) {
	fx := newFixture(t)
	t.Run("ajax 401", func(t *testing.T) {
		r := fx.s.SPA(t).Get(fx.url("/self-service/settings/browser"))
		wantStatus(t, r, http.StatusUnauthorized)
		e := decodeError(t, r)
		if e.Error.ID != "session_inactive" || r.Header.Get("Ory-Error-Id") != "session_inactive" {
			t.Errorf("error %+v", e.Error)
		}
		if !csrfCookieSet(r) {
			t.Error("the 401 must still set the CSRF cookie")
		}
	})
	t.Run("browser 303 to login", func(t *testing.T) {
		r := fx.s.Browser(t).Get(fx.url("/self-service/settings/browser"))
		wantStatus(t, r, http.StatusSeeOther)
		wantLocation(t, r, fx.url("/self-service/login/browser"))
	})
	t.Run("browser 303 to login carries return_to unjudged", func(t *testing.T) {
		rt := "https://evil.example/after"
		r := fx.s.Browser(t).Get(fx.url("/self-service/settings/browser?return_to=" + url.QueryEscape(rt)))
		wantStatus(t, r, http.StatusSeeOther)
		wantLocation(t, r, fx.url("/self-service/login/browser?return_to="+url.QueryEscape(rt)))
	})
	t.Run("unknown token", func(t *testing.T) {
		c := fx.s.Native(t)
		c.Header.Set("X-Session-Token", "ory_st_nonsense")
		r := c.Get(fx.url("/self-service/settings/browser"))
		wantStatus(t, r, http.StatusUnauthorized)
		if e := decodeError(t, r); e.Error.ID != "session_inactive" {
			t.Errorf("error %+v", e.Error)
		}
	})
	t.Run("revoked session", func(t *testing.T) {
		tok := fx.s.IssueSession(t, fx.ident, "aal1")
		sess, err := fx.s.App.Sessions.FromToken(t.Context(), tok)
		if err != nil {
			t.Fatal(err)
		}
		if err := fx.s.App.Store.RevokeSession(t.Context(), fx.ident.ID, sess.ID); err != nil {
			t.Fatal(err)
		}
		c := fx.s.SPA(t)
		c.SetSessionCookie(fx.s, tok)
		r := c.Get(fx.url("/self-service/settings/browser"))
		wantStatus(t, r, http.StatusUnauthorized)
		b := fx.s.Browser(t)
		b.SetSessionCookie(fx.s, tok)
		wantLocation(t, b.Get(fx.url("/self-service/settings/browser")), fx.url("/self-service/login/browser"))
	})
}

func TestCreateBrowserExpiredSession(t *testing.T) {
	fx := newFixture(t)
	fx.s.Clock.Advance(fx.s.Config.Session.Lifespan + 1)
	r := fx.spa(t).Get(fx.url("/self-service/settings/browser"))
	wantStatus(t, r, http.StatusUnauthorized)
	if e := decodeError(t, r); e.Error.ID != "session_inactive" {
		t.Errorf("error %+v", e.Error)
	}
	wantLocation(t, fx.browser(t).Get(fx.url("/self-service/settings/browser")), fx.url("/self-service/login/browser"))
}

// TestCreateBrowserAAL is the 403 row: an aal1 session of an identity with a second factor.
func TestCreateBrowserAAL(t *testing.T) {
	fx := newFixture(t, apptest.WithEnv("SELFSERVICE_METHODS_TOTP_ENABLED", "true"))
	fx.addTOTP(t)
	aal2 := fx.url("/self-service/login/browser?aal=aal2")
	rt := fx.url("/ui/after")
	aal2WithReturn := fx.url("/self-service/login/browser?aal=aal2&return_to=" + url.QueryEscape(rt))
	cases := []struct {
		name, query, want string
	}{
		{"plain", "", aal2},
		{"with return_to", "?return_to=" + url.QueryEscape(rt), aal2WithReturn},
	}
	for _, tc := range cases {
		t.Run("ajax 403 "+tc.name, func(t *testing.T) {
			r := fx.spa(t).Get(fx.url("/self-service/settings/browser" + tc.query))
			wantStatus(t, r, http.StatusForbidden)
			e := decodeError(t, r)
			if e.Error.ID != "session_aal2_required" {
				t.Errorf("error %+v", e.Error)
			}
			if e.Error.Details["redirect_browser_to"] != tc.want || e.RedirectBrowserTo != tc.want {
				t.Errorf("redirect_browser_to details %v top %q, want %q", e.Error.Details["redirect_browser_to"], e.RedirectBrowserTo, tc.want)
			}
		})
		t.Run("browser 303 "+tc.name, func(t *testing.T) {
			r := fx.browser(t).Get(fx.url("/self-service/settings/browser" + tc.query))
			wantStatus(t, r, http.StatusSeeOther)
			wantLocation(t, r, tc.want)
		})
	}
	t.Run("aal2 session passes", func(t *testing.T) {
		c := fx.s.SPA(t)
		c.SetSessionCookie(fx.s, fx.s.IssueSession(t, fx.ident, "aal2"))
		wantStatus(t, c.Get(fx.url("/self-service/settings/browser")), http.StatusOK)
	})
}

func TestCreateBrowserRequiredAAL1(t *testing.T) {
	fx := newFixture(t, apptest.WithEnv("SELFSERVICE_FLOWS_SETTINGS_REQUIRED_AAL", "aal1"), apptest.WithEnv("SELFSERVICE_METHODS_TOTP_ENABLED", "true"))
	fx.addTOTP(t)
	wantStatus(t, fx.spa(t).Get(fx.url("/self-service/settings/browser")), http.StatusOK)
}

// TestCreateBrowserReturnTo is the 400 row and the allowed cases.
func TestCreateBrowserReturnTo(t *testing.T) {
	fx := newFixture(t, apptest.WithEnv("SELFSERVICE_ALLOWED_RETURN_URLS", "https://app.example/after"))
	t.Run("ajax 400 forbidden", func(t *testing.T) {
		r := fx.spa(t).Get(fx.url("/self-service/settings/browser?return_to=" + url.QueryEscape("https://evil.example/")))
		wantStatus(t, r, http.StatusBadRequest)
		e := decodeError(t, r)
		if e.Error.ID != "self_service_flow_return_to_forbidden" {
			t.Errorf("error %+v", e.Error)
		}
		if !csrfCookieSet(r) {
			t.Error("no CSRF cookie")
		}
	})
	t.Run("browser forbidden goes to the error UI", func(t *testing.T) {
		r := fx.browser(t).Get(fx.url("/self-service/settings/browser?return_to=" + url.QueryEscape("https://evil.example/")))
		wantStatus(t, r, http.StatusSeeOther)
		loc := r.Header.Get("Location")
		errUI := fx.s.Config.FlowUIURL("error")
		if !strings.HasPrefix(loc, errUI+"?id=") {
			t.Fatalf("Location %q, want the error UI %s", loc, errUI)
		}
		id := apptest.URL(t, loc).Query().Get("id")
		g := fx.s.Native(t).Get(fx.url("/self-service/errors?id=" + id))
		wantStatus(t, g, http.StatusOK)
		if !strings.Contains(string(g.Body), "self_service_flow_return_to_forbidden") {
			t.Errorf("stored error %s", g.Body)
		}
	})
	for _, tc := range []struct{ name, rt, want string }{
		{"allowed absolute", "https://app.example/after", "https://app.example/after"},
		{"allowed below path", "https://app.example/after/x?y=1", "https://app.example/after/x?y=1"},
		// Kept and echoed as given, as Kratos does (resolved only when redirecting).
		{"relative", "/dashboard", "/dashboard"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := fx.spa(t).Get(fx.url("/self-service/settings/browser?return_to=" + url.QueryEscape(tc.rt)))
			wantStatus(t, r, http.StatusOK)
			if f := decodeFlow(t, r); f.ReturnTo != tc.want {
				t.Errorf("return_to %q, want %q", f.ReturnTo, tc.want)
			}
		})
	}
}

// TestCreateBrowserOtherFailure is the default row: a failing database is an error JSON with
// its status, never a bare 500.
func TestCreateBrowserOtherFailure(t *testing.T) {
	fx := newFixture(t)
	spa, browser := fx.spa(t), fx.browser(t)
	if err := fx.s.App.Store.Close(); err != nil {
		t.Fatal(err)
	}
	for name, c := range map[string]*apptest.Client{"ajax": spa, "browser": browser} {
		t.Run(name, func(t *testing.T) {
			r := c.Get(fx.url("/self-service/settings/browser"))
			if r.StatusCode < 500 {
				t.Fatalf("status %d: %s", r.StatusCode, r.Body)
			}
			e := decodeError(t, r)
			if e.Error.Message == "" || e.Error.Status == "" {
				t.Errorf("error %+v", e.Error)
			}
		})
	}
}

func TestChangePasswordWellKnown(t *testing.T) {
	fx := newFixture(t)
	r := fx.s.Browser(t).Get(fx.url("/.well-known/change-password"))
	wantStatus(t, r, http.StatusSeeOther)
	wantLocation(t, r, fx.s.Config.FlowUIURL("settings"))
}

func TestCreateAPI(t *testing.T) {
	fx := newFixture(t)
	t.Run("token", func(t *testing.T) {
		r := fx.native(t).Get(fx.url("/self-service/settings/api"))
		wantStatus(t, r, http.StatusOK)
		if len(r.Cookies()) != 0 {
			t.Errorf("API flow set cookies: %v", r.Cookies())
		}
		f := decodeFlow(t, r)
		if f.Type != "api" || f.csrf() != "" || f.State != "show_form" {
			t.Errorf("type %q csrf %q state %q", f.Type, f.csrf(), f.State)
		}
		if !strings.Contains(string(r.Body), `"name":"csrf_token","type":"hidden","value":""`) {
			t.Errorf("csrf_token node must carry an empty value: %s", r.Body)
		}
	})
	t.Run("cookie session", func(t *testing.T) {
		r := fx.spa(t).Get(fx.url("/self-service/settings/api"))
		wantStatus(t, r, http.StatusOK)
		if f := decodeFlow(t, r); f.Type != "api" {
			t.Errorf("type %q", f.Type)
		}
	})
	t.Run("no session", func(t *testing.T) {
		r := fx.s.Native(t).Get(fx.url("/self-service/settings/api"))
		wantStatus(t, r, http.StatusUnauthorized)
		if e := decodeError(t, r); e.Error.ID != "session_inactive" {
			t.Errorf("error %+v", e.Error)
		}
	})
}
