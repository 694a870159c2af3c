package code_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/portico-auth/portico/internal/apptest"
)

// aal2Flow starts an aal2 login flow for the native session token.
func aal2Flow(t *testing.T, s *apptest.Server, c *apptest.Client, token string) (id, raw string) {
	t.Helper()
	r := c.Do(http.MethodGet, s.PublicURL("/self-service/login/api?aal=aal2"), nil, http.Header{"X-Session-Token": {token}})
	if r.StatusCode != http.StatusOK {
		t.Fatalf("aal2 flow: %d %s", r.StatusCode, r.Body)
	}
	id, _ = r.Map(t)["id"].(string)
	return id, string(r.Body)
}

type stepUp struct {
	Session struct {
		AAL                   string `json:"authenticator_assurance_level"`
		AuthenticationMethods []struct {
			Method string `json:"method"`
			AAL    string `json:"aal"`
		} `json:"authentication_methods"`
	} `json:"session"`
}

// submitAAL2 posts body to the aal2 flow id with the session token.
func submitAAL2(t *testing.T, s *apptest.Server, c *apptest.Client, id, token string, body string) *apptest.Response {
	t.Helper()
	return c.Do(http.MethodPost, s.PublicURL("/self-service/login?flow="+id), strings.NewReader(body),
		http.Header{"X-Session-Token": {token}, "Content-Type": {"application/json"}, "Accept": {"application/json"}})
}

// TestCodeAsSecondFactor: with mfa_enabled, a password session steps up with a code sent to
// the identity's own address: the aal2 flow offers "Send code to <address>" (1010023), an
// address that is not the identity's is refused (4010010), a wrong code is refused (4010008),
// and the right one makes the session aal2 with password and code.
func TestCodeAsSecondFactor(t *testing.T) {
	s := apptest.Start(t, apptest.WithEnv("SELFSERVICE_METHODS_CODE_MFA_ENABLED", "true"))
	mail := s.StartMail(t)
	email := apptest.Email("mfa")
	s.CreateIdentity(t, email, "a password for the first factor")
	token := s.LoginNative(t, email, "a password for the first factor")
	c := s.Native(t)

	id, raw := aal2Flow(t, s, c, token)
	if !strings.Contains(raw, `"id":1010023`) || !strings.Contains(raw, `"value":"`+email+`"`) {
		t.Fatalf("the aal2 flow offers no code to the address: %s", raw)
	}
	if r := submitAAL2(t, s, c, id, token, `{"method":"code","address":"someone@example.com"}`); r.StatusCode != http.StatusBadRequest || !strings.Contains(string(r.Body), `"id":4010010`) {
		t.Fatalf("another address: %d %s", r.StatusCode, r.Body)
	}
	if r := submitAAL2(t, s, c, id, token, `{"method":"code","address":"`+email+`"}`); r.StatusCode != http.StatusOK || !strings.Contains(string(r.Body), `"state":"sent_email"`) {
		t.Fatalf("sending the code: %d %s", r.StatusCode, r.Body)
	}
	code := mail.Code(t, email)
	if r := submitAAL2(t, s, c, id, token, `{"method":"code","code":"`+apptest.WrongCode(code, 0)+`"}`); r.StatusCode != http.StatusBadRequest || !strings.Contains(string(r.Body), `"id":4010008`) {
		t.Fatalf("a wrong code: %d %s", r.StatusCode, r.Body)
	}
	r := submitAAL2(t, s, c, id, token, `{"method":"code","code":"`+code+`"}`)
	var out stepUp
	r.JSON(t, &out)
	m := out.Session.AuthenticationMethods
	if r.StatusCode != http.StatusOK || out.Session.AAL != "aal2" || len(m) != 2 || m[0].Method != "password" || m[1].Method != "code" || m[1].AAL != "aal2" {
		t.Fatalf("password + code: %d %s", r.StatusCode, r.Body)
	}
}

// TestCodeTwiceStaysAAL1: a session signed in by code that "steps up" with a code is one
// factor twice: it stays aal1 (session.LevelOf).
func TestCodeTwiceStaysAAL1(t *testing.T) {
	s := apptest.Start(t, apptest.WithEnv("SELFSERVICE_METHODS_CODE_MFA_ENABLED", "true"),
		apptest.WithEnv("SELFSERVICE_METHODS_CODE_PASSWORDLESS_ENABLED", "true"))
	mail := s.StartMail(t)
	email := apptest.Email("twice")
	s.CreateIdentity(t, email, "a password they do not use")
	fc := s.FlowClients(t, "login")[2]
	f := fc.Submit(t, fc.Start(t), map[string]string{"method": "code", "identifier": email})
	done := fc.Submit(t, f, map[string]string{"method": "code", "identifier": email, "code": mail.Code(t, email)})
	token, _ := done.Body["session_token"].(string)
	if token == "" {
		t.Fatalf("sign-in by code: %s", done.Raw.Body)
	}
	c := s.Native(t)
	id, _ := aal2Flow(t, s, c, token)
	if r := submitAAL2(t, s, c, id, token, `{"method":"code","address":"`+email+`"}`); r.StatusCode != http.StatusOK {
		t.Fatalf("sending the code: %d %s", r.StatusCode, r.Body)
	}
	r := submitAAL2(t, s, c, id, token, `{"method":"code","code":"`+mail.Code(t, email)+`"}`)
	var out stepUp
	r.JSON(t, &out)
	if r.StatusCode != http.StatusOK || out.Session.AAL != "aal1" {
		t.Fatalf("code + code: %d %s", r.StatusCode, r.Body)
	}
}
