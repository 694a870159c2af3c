package settings_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"

	client "github.com/ory/client-go"

	"github.com/portico-auth/portico/internal/session"
)

// sdk is Ory's generated Go client pointed at the public listener; it never follows redirects.
func sdk(fx *fixture) *client.APIClient {
	cfg := client.NewConfiguration()
	cfg.Servers = client.ServerConfigurations{{URL: strings.TrimSuffix(fx.s.Public.URL, "/")}}
	cfg.HTTPClient = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	return client.NewAPIClient(cfg)
}

// sdkError decodes an SDK error reply with client.GenericError.
func sdkError(t *testing.T, err error, res *http.Response, status int) *client.GenericError {
	t.Helper()
	if err == nil {
		t.Fatal("no error")
	}
	if res == nil || res.StatusCode != status {
		t.Fatalf("status %v, want %d: %v", res, status, err)
	}
	var oe *client.GenericOpenAPIError
	if !errors.As(err, &oe) {
		t.Fatalf("error %T %v", err, err)
	}
	var body struct {
		Error             client.GenericError `json:"error"`
		RedirectBrowserTo *string             `json:"redirect_browser_to"`
	}
	if err := json.Unmarshal(oe.Body(), &body); err != nil {
		t.Fatalf("decode error: %v\n%s", err, oe.Body())
	}
	return &body.Error
}

// cookieHeader is what a server-side app forwards: the session cookie and the CSRF cookie.
func cookieHeader(fx *fixture, res *http.Response, token string) string {
	parts := []string{fx.s.App.Sessions.Options().CookieName + "=" + token}
	if res != nil {
		for _, c := range res.Cookies() {
			parts = append(parts, c.Name+"="+c.Value)
		}
	}
	return strings.Join(parts, "; ")
}

func TestSDKBrowserFlow(t *testing.T) {
	fx := newFixture(t, withAllowedReturn)
	ctx := context.Background()
	api := sdk(fx).FrontendAPI
	sessionOnly := cookieHeader(fx, nil, fx.token)

	f, res, err := api.CreateBrowserSettingsFlow(ctx).Cookie(sessionOnly).Execute()
	if err != nil {
		t.Fatalf("create: %v", err)
	}
	if f.Type != "browser" || f.State != "show_form" || f.Identity.Id != fx.ident.ID.String() {
		t.Errorf("flow %+v", f)
	}
	cookies := cookieHeader(fx, res, fx.token)

	t.Run("create with return_to", func(t *testing.T) {
		f, _, err := api.CreateBrowserSettingsFlow(ctx).Cookie(sessionOnly).ReturnTo("https://app.example/after").Execute()
		if err != nil || f.GetReturnTo() != "https://app.example/after" {
			t.Fatalf("%v %v", err, f)
		}
	})
	t.Run("create 401", func(t *testing.T) {
		_, res, err := api.CreateBrowserSettingsFlow(ctx).Execute()
		if e := sdkError(t, err, res, 401); e.GetId() != "session_inactive" {
			t.Errorf("id %q", e.GetId())
		}
	})
	t.Run("create 400", func(t *testing.T) {
		_, res, err := api.CreateBrowserSettingsFlow(ctx).Cookie(sessionOnly).ReturnTo("https://evil.example/").Execute()
		if e := sdkError(t, err, res, 400); e.GetId() != "self_service_flow_return_to_forbidden" {
			t.Errorf("id %q", e.GetId())
		}
	})
	t.Run("get", func(t *testing.T) {
		g, _, err := api.GetSettingsFlow(ctx).Id(f.Id).Cookie(sessionOnly).Execute()
		if err != nil || g.Id != f.Id {
			t.Fatalf("%v %v", err, g)
		}
		_, res, err := api.GetSettingsFlow(ctx).Id(f.Id).Execute()
		sdkError(t, err, res, 401)
		_, res, err = api.GetSettingsFlow(ctx).Id("00000000-0000-0000-0000-000000000000").Cookie(sessionOnly).Execute()
		sdkError(t, err, res, 404)
	})
	t.Run("update profile", func(t *testing.T) {
		body := client.NewUpdateSettingsFlowWithProfileMethod("profile", map[string]any{
			"email": "a@example.com", "name": map[string]any{"first": "Sdk", "last": "Lovelace"},
		})
		body.SetCsrfToken(csrfOf(f))
		u, _, err := api.UpdateSettingsFlow(ctx).Flow(f.Id).Cookie(cookies).
			UpdateSettingsFlowBody(client.UpdateSettingsFlowWithProfileMethodAsUpdateSettingsFlowBody(body)).Execute()
		if err != nil {
			t.Fatalf("update: %v", err)
		}
		if u.State != "success" || len(u.Ui.Messages) != 1 || u.Ui.Messages[0].Id != 1050001 {
			t.Errorf("state %v messages %+v", u.State, u.Ui.Messages)
		}
	})
	t.Run("update csrf violation", func(t *testing.T) {
		body := client.NewUpdateSettingsFlowWithPasswordMethod("password", "a brand new passphrase")
		_, res, err := api.UpdateSettingsFlow(ctx).Flow(f.Id).Cookie(cookies).
			UpdateSettingsFlowBody(client.UpdateSettingsFlowWithPasswordMethodAsUpdateSettingsFlowBody(body)).Execute()
		if e := sdkError(t, err, res, 403); e.GetId() != "security_csrf_violation" {
			t.Errorf("id %q", e.GetId())
		}
	})
	t.Run("update 400 decodes as a flow", func(t *testing.T) {
		body := client.NewUpdateSettingsFlowWithPasswordMethod("password", "short")
		body.SetCsrfToken(csrfOf(f))
		_, res, err := api.UpdateSettingsFlow(ctx).Flow(f.Id).Cookie(cookies).
			UpdateSettingsFlowBody(client.UpdateSettingsFlowWithPasswordMethodAsUpdateSettingsFlowBody(body)).Execute()
		var oe *client.GenericOpenAPIError
		if !errors.As(err, &oe) || res.StatusCode != 400 {
			t.Fatalf("%v %v", res, err)
		}
		var bad client.SettingsFlow
		if err := json.Unmarshal(oe.Body(), &bad); err != nil {
			t.Fatalf("400 is not a settingsFlow: %v", err)
		}
	})
}

func csrfOf(f *client.SettingsFlow) string {
	for _, n := range f.Ui.Nodes {
		if a := n.Attributes.UiNodeInputAttributes; a != nil && a.Name == "csrf_token" {
			if s, ok := a.GetValue().(string); ok {
				return s
			}
		}
	}
	return ""
}

func TestSDKNativeFlow(t *testing.T) {
	fx := newFixture(t)
	ctx := context.Background()
	api := sdk(fx).FrontendAPI
	f, _, err := api.CreateNativeSettingsFlow(ctx).XSessionToken(fx.token).Execute()
	if err != nil || f.Type != "api" {
		t.Fatalf("create: %v %v", err, f)
	}
	pw := client.NewUpdateSettingsFlowWithPasswordMethod("password", "a brand new passphrase")
	u, _, err := api.UpdateSettingsFlow(ctx).Flow(f.Id).XSessionToken(fx.token).
		UpdateSettingsFlowBody(client.UpdateSettingsFlowWithPasswordMethodAsUpdateSettingsFlowBody(pw)).Execute()
	if err != nil || u.State != "success" {
		t.Fatalf("update: %v %v", err, u)
	}

	t.Run("other identity 403", func(t *testing.T) {
		other := fx.s.CreateIdentity(t, "b@example.com", password)
		tok := fx.s.IssueSession(t, other, session.AAL1)
		_, res, err := api.GetSettingsFlow(ctx).Id(f.Id).XSessionToken(tok).Execute()
		if e := sdkError(t, err, res, 403); e.GetId() != "security_identity_mismatch" {
			t.Errorf("id %q", e.GetId())
		}
	})
	t.Run("privileged 403", func(t *testing.T) {
		fx.s.Clock.Advance(fx.s.Config.SelfService.Flows.Settings.PrivilegedSessionMaxAge + 1)
		f, _, err := api.CreateNativeSettingsFlow(ctx).XSessionToken(fx.token).Execute()
		if err != nil {
			t.Fatal(err)
		}
		pw := client.NewUpdateSettingsFlowWithPasswordMethod("password", "another new passphrase")
		_, res, err := api.UpdateSettingsFlow(ctx).Flow(f.Id).XSessionToken(fx.token).
			UpdateSettingsFlowBody(client.UpdateSettingsFlowWithPasswordMethodAsUpdateSettingsFlowBody(pw)).Execute()
		if e := sdkError(t, err, res, 403); e.GetId() != "session_refresh_required" {
			t.Errorf("id %q", e.GetId())
		}
	})
	t.Run("expired 410", func(t *testing.T) {
		f, _, err := api.CreateNativeSettingsFlow(ctx).XSessionToken(fx.token).Execute()
		if err != nil {
			t.Fatal(err)
		}
		fx.s.Clock.Advance(fx.s.Config.FlowLifespan("settings") + 1)
		_, res, err := api.GetSettingsFlow(ctx).Id(f.Id).XSessionToken(fx.token).Execute()
		sdkError(t, err, res, 410)
		prof := client.NewUpdateSettingsFlowWithProfileMethod("profile", map[string]any{"email": "a@example.com"})
		_, res, err = api.UpdateSettingsFlow(ctx).Flow(f.Id).XSessionToken(fx.token).
			UpdateSettingsFlowBody(client.UpdateSettingsFlowWithProfileMethodAsUpdateSettingsFlowBody(prof)).Execute()
		if e := sdkError(t, err, res, 410); e.GetId() != "self_service_flow_expired" {
			t.Errorf("id %q", e.GetId())
		}
	})
}
