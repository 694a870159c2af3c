package sdktest_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/cookiejar"
	"testing"

	ory "github.com/ory/client-go"

	"github.com/portico-auth/portico/internal/apptest"
)

const (
	email = "ada@example.com"
	pw    = "correct horse battery staple"
)

func client(base string, jar http.CookieJar) *ory.APIClient {
	cfg := ory.NewConfiguration()
	cfg.Servers = ory.ServerConfigurations{{URL: base}}
	cfg.HTTPClient = &http.Client{Jar: jar}
	return ory.NewAPIClient(cfg)
}

// genericError decodes an error reply the way behaviour.md says SDK users must.
func genericError(t *testing.T, err error) ory.GenericError {
	t.Helper()
	var oe *ory.GenericOpenAPIError
	if !errors.As(err, &oe) {
		t.Fatalf("not an API error: %v", err)
	}
	var body struct {
		Error ory.GenericError `json:"error"`
	}
	if jerr := json.Unmarshal(oe.Body(), &body); jerr != nil {
		t.Fatalf("decode error body: %v\n%s", jerr, oe.Body())
	}
	return body.Error
}

func ok(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		var oe *ory.GenericOpenAPIError
		if errors.As(err, &oe) {
			t.Fatalf("SDK call failed: %v\n%s", err, oe.Body())
		}
		t.Fatalf("SDK call failed: %v", err)
	}
}

func csrfToken(f []ory.UiNode) string {
	for _, n := range f {
		if a := n.Attributes.UiNodeInputAttributes; a != nil && a.Name == "csrf_token" {
			s, _ := a.Value.(string)
			return s
		}
	}
	return ""
}

func passwordLogin(identifier, password, csrf string) ory.UpdateLoginFlowBody {
	b := ory.NewUpdateLoginFlowWithPasswordMethod(identifier, "password", password)
	if csrf != "" {
		b.SetCsrfToken(csrf)
	}
	return ory.UpdateLoginFlowWithPasswordMethodAsUpdateLoginFlowBody(b)
}

func passwordRegistration(password, csrf string) ory.UpdateRegistrationFlowBody {
	b := ory.NewUpdateRegistrationFlowWithPasswordMethod("password", password, map[string]any{"email": email, "name": map[string]any{"first": "Ada"}})
	if csrf != "" {
		b.SetCsrfToken(csrf)
	}
	return ory.UpdateRegistrationFlowWithPasswordMethodAsUpdateRegistrationFlowBody(b)
}

func TestNativeJourneyThroughSDK(t *testing.T) {
	s := apptest.Start(t)
	ctx := context.Background()
	c := client(s.Public.URL, nil)
	admin := client(s.Admin.URL, nil)

	rf, _, err := c.FrontendAPI.CreateNativeRegistrationFlow(ctx).Execute()
	ok(t, err)
	reg, _, err := c.FrontendAPI.UpdateRegistrationFlow(ctx).Flow(rf.Id).UpdateRegistrationFlowBody(passwordRegistration(pw, "")).Execute()
	ok(t, err)
	tok := reg.GetSessionToken()
	if tok == "" || len(reg.ContinueWith) != 1 || reg.ContinueWith[0].ContinueWithSetOrySessionToken == nil {
		t.Fatalf("registration reply: token %q, continue_with %+v", tok, reg.ContinueWith)
	}
	sess, _, err := c.FrontendAPI.ToSession(ctx).XSessionToken(tok).Execute()
	ok(t, err)
	if sess.Identity.Id != reg.Identity.Id {
		t.Fatal("whoami shows another identity")
	}
	got, _, err := admin.IdentityAPI.GetIdentity(ctx, reg.Identity.Id).Execute()
	ok(t, err)
	if got.Traits.(map[string]any)["email"] != email {
		t.Fatalf("admin identity traits %v", got.Traits)
	}

	if res, err := c.FrontendAPI.PerformNativeLogout(ctx).PerformNativeLogoutBody(*ory.NewPerformNativeLogoutBody(tok)).Execute(); err != nil || res.StatusCode != 204 {
		t.Fatalf("logout: %v", err)
	}
	_, _, err = c.FrontendAPI.ToSession(ctx).XSessionToken(tok).Execute()
	if e := genericError(t, err); e.GetCode() != 401 || e.GetReason() != "No valid session credentials found in the request." {
		t.Fatalf("whoami after logout: %+v", e)
	}

	lf, _, err := c.FrontendAPI.CreateNativeLoginFlow(ctx).Execute()
	ok(t, err)
	_, _, err = c.FrontendAPI.UpdateLoginFlow(ctx).Flow(lf.Id).UpdateLoginFlowBody(passwordLogin(email, "wrong", "")).Execute()
	var oe *ory.GenericOpenAPIError
	if !errors.As(err, &oe) {
		t.Fatalf("wrong password: %v", err)
	}
	bad, isFlow := oe.Model().(ory.LoginFlow)
	if !isFlow || len(bad.Ui.Messages) != 1 || bad.Ui.Messages[0].Id != 4000006 {
		t.Fatalf("wrong password reply: %T %s", oe.Model(), oe.Body())
	}
	login, _, err := c.FrontendAPI.UpdateLoginFlow(ctx).Flow(lf.Id).UpdateLoginFlowBody(passwordLogin(email, pw, "")).Execute()
	ok(t, err)
	sess, _, err = c.FrontendAPI.ToSession(ctx).XSessionToken(login.GetSessionToken()).Execute()
	ok(t, err)
	if sess.GetAuthenticatorAssuranceLevel() != ory.AUTHENTICATORASSURANCELEVEL_AAL1 {
		t.Fatalf("aal %v", sess.GetAuthenticatorAssuranceLevel())
	}

	created, _, err := admin.IdentityAPI.CreateIdentity(ctx).CreateIdentityBody(*ory.NewCreateIdentityBody("default", map[string]any{"email": "grace@example.com"})).Execute()
	ok(t, err)
	if created.Id == "" {
		t.Fatal("admin create returned no id")
	}
}

func TestBrowserJourneyThroughSDK(t *testing.T) {
	s := apptest.Start(t)
	ctx := context.Background()
	jar, _ := cookiejar.New(nil)
	c := client(s.Public.URL, jar)

	rf, _, err := c.FrontendAPI.CreateBrowserRegistrationFlow(ctx).Execute()
	ok(t, err)
	reg, _, err := c.FrontendAPI.UpdateRegistrationFlow(ctx).Flow(rf.Id).UpdateRegistrationFlowBody(passwordRegistration(pw, csrfToken(rf.Ui.Nodes))).Execute()
	ok(t, err)
	if reg.Session == nil || reg.SessionToken != nil {
		t.Fatalf("browser registration reply carries a token or no session")
	}
	_, _, err = c.FrontendAPI.ToSession(ctx).Execute()
	ok(t, err)

	lo, _, err := c.FrontendAPI.CreateBrowserLogoutFlow(ctx).Execute()
	ok(t, err)
	if res, err := c.FrontendAPI.UpdateLogoutFlow(ctx).Token(lo.LogoutToken).Execute(); err != nil || res.StatusCode != 204 {
		t.Fatalf("logout: %v", err)
	}
	_, _, err = c.FrontendAPI.ToSession(ctx).Execute()
	if e := genericError(t, err); e.GetCode() != 401 || e.GetReason() != "No valid session credentials found in the request." {
		t.Fatal("still signed in after logout")
	}

	lf, _, err := c.FrontendAPI.CreateBrowserLoginFlow(ctx).Execute()
	ok(t, err)
	_, _, err = c.FrontendAPI.UpdateLoginFlow(ctx).Flow(lf.Id).UpdateLoginFlowBody(passwordLogin(email, pw, "forged")).Execute()
	if e := genericError(t, err); e.GetId() != "security_csrf_violation" || e.GetCode() != 403 {
		t.Fatalf("forged csrf: %+v", e)
	}
	login, _, err := c.FrontendAPI.UpdateLoginFlow(ctx).Flow(lf.Id).UpdateLoginFlowBody(passwordLogin(email, pw, csrfToken(lf.Ui.Nodes))).Execute()
	ok(t, err)
	if len(login.ContinueWith) != 1 || login.ContinueWith[0].ContinueWithRedirectBrowserTo == nil {
		t.Fatalf("continue_with %+v", login.ContinueWith)
	}
	_, _, err = c.FrontendAPI.ToSession(ctx).Execute()
	ok(t, err)
	_, _, err = c.FrontendAPI.CreateBrowserLoginFlow(ctx).Execute()
	if e := genericError(t, err); e.GetId() != "session_already_available" {
		t.Fatalf("login with a session: %+v", e)
	}
}
