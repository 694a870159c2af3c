package settings_test

import (
	"net/http"
	"net/url"
	"testing"

	"github.com/google/uuid"
)

func TestGetSettingsFlow(t *testing.T) {
	fx := newFixture(t, withAllowedReturn)
	f := fx.newBrowserFlow(t, fx.spa(t))
	get := func(id string) string { return fx.url("/self-service/settings/flows?id=" + id) }

	t.Run("owner 200", func(t *testing.T) {
		r := fx.spa(t).Get(get(f.ID))
		wantStatus(t, r, http.StatusOK)
		if g := decodeFlow(t, r); g.ID != f.ID || g.State != "show_form" {
			t.Errorf("flow %+v", g)
		}
	})
	t.Run("no session json 401 without id", func(t *testing.T) {
		r := fx.s.SPA(t).Get(get(f.ID))
		wantStatus(t, r, http.StatusUnauthorized)
		e := decodeError(t, r)
		if e.Error.ID != "" || e.Error.Reason == "" {
			t.Errorf("error %+v", e.Error)
		}
	})
	t.Run("no session is checked before the id", func(t *testing.T) {
		wantStatus(t, fx.s.SPA(t).Get(get("not-a-uuid")), http.StatusUnauthorized)
	})
	t.Run("no session browser 302 to login UI", func(t *testing.T) {
		r := fx.s.Browser(t).Get(get(f.ID))
		wantStatus(t, r, http.StatusFound)
		wantLocation(t, r, fx.s.Config.FlowUIURL("login"))
	})
	t.Run("malformed id 404", func(t *testing.T) {
		wantStatus(t, fx.spa(t).Get(get("not-a-uuid")), http.StatusNotFound)
	})
	t.Run("unknown id 404", func(t *testing.T) {
		r := fx.spa(t).Get(get(uuid.NewString()))
		wantStatus(t, r, http.StatusNotFound)
		decodeError(t, r)
	})
	t.Run("other identity 403", func(t *testing.T) {
		other := fx.s.CreateIdentity(t, "b@example.com", password)
		c := fx.s.SPA(t)
		c.SetSessionCookie(fx.s, fx.s.IssueSession(t, other, "aal1"))
		r := c.Get(get(f.ID))
		wantStatus(t, r, http.StatusForbidden)
		if e := decodeError(t, r); e.Error.ID != "security_identity_mismatch" {
			t.Errorf("error %+v", e.Error)
		}
	})
}

func TestGetSettingsFlowExpired(t *testing.T) {
	fx := newFixture(t, withAllowedReturn)
	rt := "https://app.example/after"
	r := fx.spa(t).Get(fx.url("/self-service/settings/browser?return_to=" + url.QueryEscape(rt)))
	wantStatus(t, r, http.StatusOK)
	browserFlow := decodeFlow(t, r)
	apiFlow := fx.newAPIFlow(t)
	fx.s.Clock.Advance(fx.s.Config.FlowLifespan("settings") + 1)

	t.Run("browser flow", func(t *testing.T) {
		r := fx.spa(t).Get(fx.url("/self-service/settings/flows?id=" + browserFlow.ID))
		wantStatus(t, r, http.StatusGone)
		e := decodeError(t, r)
		if e.Error.ID != "" {
			t.Errorf("error id %q, want none", e.Error.ID)
		}
		want := fx.url("/self-service/settings/browser?return_to=" + url.QueryEscape(rt))
		if e.Error.Details["redirect_to"] != want || e.Error.Details["return_to"] != rt {
			t.Errorf("details %v", e.Error.Details)
		}
	})
	t.Run("api flow", func(t *testing.T) {
		r := fx.native(t).Get(fx.url("/self-service/settings/flows?id=" + apiFlow.ID))
		wantStatus(t, r, http.StatusGone)
		e := decodeError(t, r)
		if e.Error.ID != "" || e.Error.Details["api"] != fx.url("/self-service/settings/api") {
			t.Errorf("error %+v", e.Error)
		}
	})
}
