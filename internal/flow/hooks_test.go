package flow

import (
	"encoding/json"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/portico-auth/portico/internal/identity"
	"github.com/portico-auth/portico/internal/session"
	"github.com/portico-auth/portico/internal/session/sessionhttp"
)

func TestHookURLDropsLinkSecrets(t *testing.T) {
	public, _ := url.Parse("https://auth.example/")
	for target, want := range map[string]string{
		"/self-service/verification?flow=f1&token=secret": "https://auth.example/self-service/verification?flow=f1",
		"/self-service/recovery?code=123456&flow=f2":      "https://auth.example/self-service/recovery?flow=f2",
		"/self-service/login?flow=f3":                     "https://auth.example/self-service/login?flow=f3",
	} {
		if got := hookURL(public, httptest.NewRequest("GET", target, nil)); got != want {
			t.Errorf("hookURL(%s) = %s, want %s", target, got, want)
		}
	}
}

// The session a hook sees carries its identity without credentials (a password hash, a TOTP
// secret), as the identity beside it does.
func TestHookInputSessionHasNoCredentials(t *testing.T) {
	public, _ := url.Parse("https://auth.example/")
	l := &Lifecycle{Public: public, CSRF: &CSRF{CookieName: "csrf"},
		Sessions: sessionhttp.New(nil, sessionhttp.Options{}, time.Now)}
	id := &identity.Identity{Credentials: map[identity.CredentialsType]identity.Credentials{
		identity.CredentialsTOTP: {Type: identity.CredentialsTOTP, Config: json.RawMessage(`{"secret":"s3cr3t"}`)},
	}}
	sess := &session.Session{Identity: id}
	in := l.hookInput(httptest.NewRequest("POST", "/self-service/settings", nil), nil, id, sess)
	b, err := json.Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(b), "s3cr3t") || strings.Contains(string(b), `"credentials"`) {
		t.Errorf("hook input carries credentials: %s", b)
	}
	if sess.Identity.Credentials == nil {
		t.Error("hookInput changed the caller's session")
	}
}
