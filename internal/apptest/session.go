package apptest

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"testing"

	"github.com/google/uuid"

	"github.com/portico-auth/portico/internal/identity"
	"github.com/portico-auth/portico/internal/session"
)

// IssueSession signs ident in directly (no login flow) at the given level, as if the given
// methods had just been completed (password alone when none are given), and returns the
// session token. The session's authenticated_at is the fake clock's now.
func (s *Server) IssueSession(t testing.TB, ident *identity.Identity, aal session.AAL, methods ...string) string {
	t.Helper()
	if len(methods) == 0 {
		methods = []string{"password"}
	}
	now := s.Clock.Now()
	ms := make([]session.AuthenticationMethod, len(methods))
	for i, m := range methods {
		ms[i] = session.AuthenticationMethod{Method: m, AAL: session.AAL1, CompletedAt: now}
		if i > 0 && aal == session.AAL2 {
			ms[i].AAL = session.AAL2
		}
	}
	if aal == session.AAL2 && len(ms) == 1 {
		ms = append(ms, session.AuthenticationMethod{Method: "totp", AAL: session.AAL2, CompletedAt: now})
	}
	_, token, err := s.App.Sessions.Issue(context.Background(), ident, ms, session.Device{IPAddress: "127.0.0.1", UserAgent: "apptest"})
	if err != nil {
		t.Fatalf("apptest: issue session: %v", err)
	}
	return token
}

// BrowserWithSession returns a browser whose cookie jar holds a fresh aal1 session of ident.
func (s *Server) BrowserWithSession(t testing.TB, ident *identity.Identity) *Client {
	t.Helper()
	c := s.Browser(t)
	c.SetSessionCookie(s, s.IssueSession(t, ident, session.AAL1))
	return c
}

// SetSessionCookie puts a session token into the client's cookie jar as the session cookie.
func (c *Client) SetSessionCookie(s *Server, token string) {
	c.T.Helper()
	u, err := url.Parse(s.Public.URL)
	if err != nil {
		c.T.Fatal(err)
	}
	if c.HTTP.Jar == nil {
		c.T.Fatal("apptest: client has no cookie jar")
	}
	name := s.App.Sessions.Options().CookieName
	c.HTTP.Jar.SetCookies(u, []*http.Cookie{{Name: name, Value: token, Path: "/"}})
}

// PasswordIs reports whether the stored password of identity id is pw.
func (s *Server) PasswordIs(t testing.TB, id uuid.UUID, pw string) bool {
	t.Helper()
	ident, err := s.App.Store.GetIdentity(context.Background(), id, true)
	if err != nil {
		t.Fatalf("apptest: load identity: %v", err)
	}
	var cfg identity.PasswordConfig
	if err := json.Unmarshal(ident.Credentials[identity.CredentialsPassword].Config, &cfg); err != nil {
		t.Fatalf("apptest: password config: %v", err)
	}
	return s.App.Hasher.Compare(context.Background(), []byte(pw), cfg.HashedPassword) == nil
}
