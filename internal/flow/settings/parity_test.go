package settings_test

import (
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/portico-auth/portico/internal/apptest"
	"github.com/portico-auth/portico/internal/kratosexamples"
)

// Replies that Ory's clients depend on, as Kratos gives them for the same config (issue 12).
// Each runs on SQLite, or on the database in PORTICO_TEST_DSN.

var withWebAuthnAndPasskeys = []apptest.Option{
	apptest.WithEnv("SELFSERVICE_METHODS_WEBAUTHN_ENABLED", "true"),
	apptest.WithEnv("SELFSERVICE_METHODS_WEBAUTHN_CONFIG_RP_ID", "localhost"),
	apptest.WithEnv("SELFSERVICE_METHODS_WEBAUTHN_CONFIG_RP_DISPLAY_NAME", "Portico"),
	apptest.WithEnv("SELFSERVICE_METHODS_WEBAUTHN_CONFIG_RP_ORIGIN", "http://localhost"),
	apptest.WithEnv("SELFSERVICE_METHODS_PASSKEY_ENABLED", "true"),
	apptest.WithEnv("SELFSERVICE_METHODS_PASSKEY_CONFIG_RP_ID", "localhost"),
	apptest.WithEnv("SELFSERVICE_METHODS_PASSKEY_CONFIG_RP_DISPLAY_NAME", "Portico"),
	apptest.WithEnv("SELFSERVICE_METHODS_PASSKEY_CONFIG_RP_ORIGINS", "http://localhost"),
}

// TestSessionlessReadAndSubmitAnswerKratos401 (issue 12 item 2): getSettingsFlow and
// updateSettingsFlow without a session answer a JSON caller 401 without an error id and with
// Kratos's reason; a browser goes to the login UI; creating a flow keeps session_inactive.
func TestSessionlessReadAndSubmitAnswerKratos401(t *testing.T) {
	fx := newFixture(t)
	f := fx.newBrowserFlow(t, fx.spa(t))
	const reason = "A valid Ory Session Cookie or Ory Session Token is missing."
	for name, c := range map[string]*apptest.Client{"spa": fx.s.SPA(t), "native": fx.s.Native(t)} {
		for what, r := range map[string]*apptest.Response{
			"get":    c.Get(fx.url("/self-service/settings/flows?id=" + f.ID)),
			"update": c.PostJSON(fx.url("/self-service/settings?flow="+f.ID), profileBody("a@example.com", "X")),
			// The session is judged before the flow parameter.
			"update without flow": c.PostJSON(fx.url("/self-service/settings"), profileBody("a@example.com", "X")),
		} {
			wantStatus(t, r, http.StatusUnauthorized)
			e := decodeError(t, r)
			if e.Error.ID != "" || e.Error.Reason != reason || e.Error.Status != "Unauthorized" || e.Error.Message != "The request could not be authorized" {
				t.Errorf("%s %s: %s", name, what, r.Body)
			}
		}
	}
	b := fx.s.Browser(t)
	r := b.Get(fx.url("/self-service/settings/flows?id=" + f.ID))
	if r.StatusCode != http.StatusFound || r.Header.Get("Location") != fx.s.Config.FlowUIURL("login") {
		t.Errorf("browser read: %d %s", r.StatusCode, r.Header.Get("Location"))
	}

	// createBrowserSettingsFlow keeps Kratos's session_inactive (recorded reply).
	var want struct {
		Error struct{ ID, Reason string } `json:"error"`
	}
	if err := json.Unmarshal(kratosexamples.Read(t, "settings-browser-ajax-401.json"), &want); err != nil {
		t.Fatal(err)
	}
	r = fx.s.SPA(t).Get(fx.url("/self-service/settings/browser"))
	wantStatus(t, r, http.StatusUnauthorized)
	if e := decodeError(t, r); e.Error.ID != want.Error.ID || e.Error.Reason != want.Error.Reason {
		t.Errorf("create: %s, want %+v", r.Body, want.Error)
	}
}

func groupsOf(f *settingsFlow) []string {
	var gs []string
	for _, n := range f.UI.Nodes {
		if len(gs) == 0 || gs[len(gs)-1] != n.Group {
			gs = append(gs, n.Group)
		}
	}
	return gs
}

func recordedGroups(t *testing.T, name string) []string {
	t.Helper()
	var f settingsFlow
	if err := json.Unmarshal(kratosexamples.Read(t, name), &f); err != nil {
		t.Fatal(err)
	}
	return groupsOf(&f)
}

// TestSettingsNodeGroupsInKratosOrder (issue 12 item 4): node groups come in Kratos's order
// (default, profile, password, oidc, lookup_secret, webauthn, totp, then the others) on
// creation, on read and after a successful update, for every recorded reply's config.
func TestSettingsNodeGroupsInKratosOrder(t *testing.T) {
	t.Run("recorded config", func(t *testing.T) {
		fx := newFixture(t, withSecondFactors...)
		for _, name := range []string{"settings-api-200.json", "settings-browser-ajax-200.json", "settings-browser-ajax-return_to-allowed.json"} {
			want := recordedGroups(t, name)
			f := fx.newAPIFlow(t)
			if strings.Contains(name, "browser") {
				f = fx.newBrowserFlow(t, fx.spa(t))
			}
			if got := groupsOf(f); !slices.Equal(got, want) {
				t.Errorf("%s: groups %v, Kratos %v", name, got, want)
			}
		}
		// With TOTP linked (settings-api-totp-enrolled.json).
		fx.addTOTP(t)
		c := fx.s.Native(t)
		c.Header.Set("X-Session-Token", fx.s.IssueSession(t, fx.ident, "aal2"))
		r := c.Get(fx.url("/self-service/settings/api"))
		wantStatus(t, r, http.StatusOK)
		if got, want := groupsOf(decodeFlow(t, r)), recordedGroups(t, "settings-api-totp-enrolled.json"); !slices.Equal(got, want) {
			t.Errorf("totp enrolled: groups %v, Kratos %v", got, want)
		}
	})
	t.Run("every method", func(t *testing.T) {
		fx := newFixture(t, append(slices.Clone(withSecondFactors), withWebAuthnAndPasskeys...)...)
		want := []string{"default", "profile", "password", "lookup_secret", "webauthn", "totp", "passkey"}
		c := fx.spa(t)
		f := fx.newBrowserFlow(t, c)
		if got := groupsOf(f); !slices.Equal(got, want) {
			t.Errorf("create: groups %v, want %v", got, want)
		}
		r := c.Get(fx.url("/self-service/settings/flows?id=" + f.ID))
		wantStatus(t, r, http.StatusOK)
		if got := groupsOf(decodeFlow(t, r)); !slices.Equal(got, want) {
			t.Errorf("read: groups %v, want %v", got, want)
		}
		done := wantSuccess(t, fx, submit(fx, c, f, profileBody("a@example.com", "Grace")), f)
		if got := groupsOf(done); !slices.Equal(got, want) {
			t.Errorf("after success: groups %v, want %v", got, want)
		}
	})
}

type continueWith struct {
	Action            string `json:"action"`
	RedirectBrowserTo string `json:"redirect_browser_to"`
}

func continueWithOf(t *testing.T, r *apptest.Response) []continueWith {
	t.Helper()
	var v struct {
		ContinueWith []continueWith `json:"continue_with"`
	}
	r.JSON(t, &v)
	return v.ContinueWith
}

// TestBrowserAJAXSuccessContinuesWithRedirect (issue 12 item 5): a browser flow submitted as
// JSON answers its success with continue_with redirect_browser_to: the flow's return_to when
// it has one, else the settings UI showing the flow. It belongs to that reply only: an API
// flow's success and a later read of the flow carry none.
func TestBrowserAJAXSuccessContinuesWithRedirect(t *testing.T) {
	fx := newFixture(t, withAllowedReturn)
	c := fx.spa(t)

	f := fx.newBrowserFlow(t, c)
	r := submit(fx, c, f, profileBody("a@example.com", "Grace"))
	wantSuccess(t, fx, r, f)
	want := []continueWith{{Action: "redirect_browser_to", RedirectBrowserTo: fx.uiURL(f.ID)}}
	if got := continueWithOf(t, r); !slices.Equal(got, want) {
		t.Errorf("continue_with %+v, want %+v", got, want)
	}
	read := c.Get(fx.url("/self-service/settings/flows?id=" + f.ID))
	wantStatus(t, read, http.StatusOK)
	if got := continueWithOf(t, read); got != nil {
		t.Errorf("a read of the flow carries continue_with %+v", got)
	}

	rr := c.Get(fx.url("/self-service/settings/browser?return_to=https://app.example/after"))
	wantStatus(t, rr, http.StatusOK)
	back := decodeFlow(t, rr)
	r = submit(fx, c, back, profileBody("a@example.com", "Ada"))
	wantSuccess(t, fx, r, back)
	want = []continueWith{{Action: "redirect_browser_to", RedirectBrowserTo: "https://app.example/after"}}
	if got := continueWithOf(t, r); !slices.Equal(got, want) {
		t.Errorf("with return_to: continue_with %+v, want %+v", got, want)
	}

	api := fx.newAPIFlow(t)
	r = submit(fx, fx.native(t), api, profileBody("a@example.com", "Api"))
	wantSuccess(t, fx, r, api)
	if got := continueWithOf(t, r); got != nil {
		t.Errorf("api flow: continue_with %+v", got)
	}
}

// TestSubmitWithoutFlowParameter (issue 12 item 6): a submission whose ?flow= is missing,
// empty, malformed or the nil UUID is Kratos's 400 (no error id), for POST and for the GET
// that a refresh login returns to; an unknown flow stays 404; a browser form goes to the
// error UI.
func TestSubmitWithoutFlowParameter(t *testing.T) {
	fx := newFixture(t)
	c := fx.spa(t)
	fx.newBrowserFlow(t, c) // CSRF cookie
	for _, q := range []string{"", "?flow=", "?flow=nope", "?flow=" + uuid.Nil.String()} {
		for _, r := range []*apptest.Response{
			c.PostJSON(fx.url("/self-service/settings"+q), profileBody("a@example.com", "X")),
			fx.native(t).PostJSON(fx.url("/self-service/settings"+q), profileBody("a@example.com", "X")),
			c.Get(fx.url("/self-service/settings" + q)),
		} {
			wantStatus(t, r, http.StatusBadRequest)
			e := decodeError(t, r)
			if e.Error.ID != "" || e.Error.Reason != "The flow query parameter is missing or malformed." || e.Error.Status != "Bad Request" {
				t.Errorf("%q: %s", q, r.Body)
			}
		}
	}
	r := c.PostJSON(fx.url("/self-service/settings?flow="+uuid.NewString()), profileBody("a@example.com", "X"))
	wantStatus(t, r, http.StatusNotFound)

	b := fx.browser(t)
	res := b.PostForm(fx.url("/self-service/settings"), map[string][]string{"method": {"profile"}})
	wantStatus(t, res, http.StatusSeeOther)
	loc := apptest.URL(t, res.Header.Get("Location"))
	if !strings.HasPrefix(loc.String(), fx.s.Config.FlowUIURL("error")) || loc.Query().Get("id") == "" {
		t.Fatalf("browser form: Location %s", loc)
	}
	stored := fx.s.Native(t).Get(fx.url("/self-service/errors?id=" + loc.Query().Get("id")))
	if !strings.Contains(string(stored.Body), "The flow query parameter is missing or malformed.") {
		t.Errorf("stored error %s", stored.Body)
	}
}

// expiredReply is Kratos's selfServiceFlowExpiredError.
type expiredReply struct {
	Error struct {
		ID      string         `json:"id"`
		Code    int            `json:"code"`
		Details map[string]any `json:"details"`
	} `json:"error"`
	ExpiredAt string `json:"expired_at"`
	Since     int64  `json:"since"`
	UseFlowID string `json:"use_flow_id"`
}

// TestSubmitExpiredFlow (issue 12 item 7): an expired flow submitted by an app or a browser's
// AJAX call answers 410 self_service_flow_expired with use_flow_id, expired_at and since at
// the top level (Kratos's selfServiceFlowExpiredError); use_flow_id names a new flow of the
// same type carrying message 4050001 that takes the submission.
func TestSubmitExpiredFlow(t *testing.T) {
	fx := newFixture(t)
	spa := fx.spa(t)
	browserFlow := fx.newBrowserFlow(t, spa)
	apiFlow := fx.newAPIFlow(t)
	lifespan := fx.s.Config.FlowLifespan("settings")
	fx.s.Clock.Advance(lifespan + 90e9)
	for name, tc := range map[string]struct {
		c *apptest.Client
		f *settingsFlow
	}{"spa": {spa, browserFlow}, "native": {fx.native(t), apiFlow}} {
		r := submit(fx, tc.c, tc.f, profileBody("a@example.com", "Late"))
		wantStatus(t, r, http.StatusGone)
		var e expiredReply
		r.JSON(t, &e)
		if e.Error.ID != "self_service_flow_expired" || e.Error.Code != 410 || e.UseFlowID == "" || e.UseFlowID == tc.f.ID ||
			e.Error.Details["use_flow_id"] != e.UseFlowID || e.ExpiredAt == "" || e.Since < 90e9 {
			t.Fatalf("%s: %s", name, r.Body)
		}
		if h := r.Header.Get("Ory-Error-Id"); h != "self_service_flow_expired" {
			t.Errorf("%s: Ory-Error-Id %q", name, h)
		}
		g := tc.c.Get(fx.url("/self-service/settings/flows?id=" + e.UseFlowID))
		wantStatus(t, g, http.StatusOK)
		next := decodeFlow(t, g)
		if !slices.Contains(next.flowMessages(), 4050001) || next.Type != tc.f.Type || next.State != "show_form" {
			t.Errorf("%s: new flow %s type %s messages %v", name, next.ID, next.Type, next.flowMessages())
		}
		wantSuccess(t, fx, submit(fx, tc.c, next, profileBody("a@example.com", "OnTime")), next)
	}

	// GET /self-service/settings?flow= (where a refresh login returns) is the submission route
	// too: an expired flow is replaced there as well, not shown.
	fx.s.Clock.Advance(lifespan + 90e9)
	r := spa.Get(fx.url("/self-service/settings?flow=" + browserFlow.ID))
	wantStatus(t, r, http.StatusGone)
	var e expiredReply
	r.JSON(t, &e)
	if e.Error.ID != "self_service_flow_expired" || e.UseFlowID == "" || e.UseFlowID == browserFlow.ID {
		t.Fatalf("GET submit: %s", r.Body)
	}
	b := fx.browser(t)
	formFlow := apptest.URL(t, b.Get(fx.url("/self-service/settings/browser")).Header.Get("Location")).Query().Get("flow")
	fx.s.Clock.Advance(lifespan + 1)
	res := b.Get(fx.url("/self-service/settings?flow=" + formFlow))
	wantStatus(t, res, http.StatusSeeOther)
	if next := apptest.URL(t, res.Header.Get("Location")).Query().Get("flow"); next == "" || next == formFlow {
		t.Fatalf("browser GET submit: Location %s", res.Header.Get("Location"))
	}
}
