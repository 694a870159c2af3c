package logout_test

import (
	"net/http"
	"testing"

	"github.com/portico-auth/portico/internal/apptest"
)

// logoutURL renders the logout link for the browser c, as every page showing one does.
func logoutURL(t *testing.T, s *apptest.Server, c *apptest.Client) (url, token string) {
	t.Helper()
	r := c.Do(http.MethodGet, s.PublicURL("/self-service/logout/browser"), nil, http.Header{"Accept": {"application/json"}})
	if r.StatusCode != http.StatusOK {
		t.Fatalf("logout url: %d %s", r.StatusCode, r.Body)
	}
	var f struct {
		LogoutURL   string `json:"logout_url"`
		LogoutToken string `json:"logout_token"`
	}
	r.JSON(t, &f)
	if f.LogoutURL == "" || f.LogoutToken == "" || apptest.URL(t, f.LogoutURL).Query().Get("token") != f.LogoutToken {
		t.Fatalf("logout flow %s", r.Body)
	}
	return f.LogoutURL, f.LogoutToken
}

func whoami(t *testing.T, s *apptest.Server, c *apptest.Client) int {
	t.Helper()
	return c.Do(http.MethodGet, s.PublicURL("/sessions/whoami"), nil, http.Header{"Accept": {"application/json"}}).StatusCode
}

// Issue 11, finding 7: every render minted a new token, so only the newest link worked (a
// link in another tab silently failed). Kratos keeps one logout token per session.
func TestLogoutLinkIsStableAcrossRenders(t *testing.T) {
	s := apptest.Start(t)
	id := s.CreateIdentity(t, "tabs@example.com", "a fine long password")
	b := s.BrowserWithSession(t, id)
	firstURL, first := logoutURL(t, s, b)   // tab one
	secondURL, second := logoutURL(t, s, b) // tab two, rendered later
	if first != second || firstURL != secondURL {
		t.Fatalf("two renders gave two logout links: %s and %s", first, second)
	}
	// The link of the first tab works after the second was rendered.
	if r := b.Get(firstURL); r.StatusCode != http.StatusSeeOther {
		t.Fatalf("logout with the first tab's link: %d %s", r.StatusCode, r.Body)
	}
	if code := whoami(t, s, b); code != http.StatusUnauthorized {
		t.Fatalf("whoami after logout: %d", code)
	}

	// A new session of the same identity has a token of its own.
	b2 := s.BrowserWithSession(t, id)
	if _, tok := logoutURL(t, s, b2); tok == first {
		t.Fatal("a new session got the logged-out session's logout token")
	}
}

func TestLogoutTokenOfOneSessionDoesNotEndAnother(t *testing.T) {
	s := apptest.Start(t)
	ada := s.CreateIdentity(t, "ada@example.com", "a fine long password")
	eve := s.CreateIdentity(t, "eve@example.com", "a fine long password")
	a := s.BrowserWithSession(t, ada)
	sameIdentity := s.BrowserWithSession(t, ada)
	other := s.BrowserWithSession(t, eve)
	urlA, tokA := logoutURL(t, s, a)

	for name, c := range map[string]*apptest.Client{"another session of the same identity": sameIdentity, "another identity": other} {
		r := c.Do(http.MethodGet, s.PublicURL("/self-service/logout?token="+tokA), nil, http.Header{"Accept": {"application/json"}})
		if r.StatusCode != http.StatusForbidden {
			t.Errorf("%s logged out with A's token: %d %s", name, r.StatusCode, r.Body)
		}
		if code := whoami(t, s, c); code != http.StatusOK {
			t.Errorf("%s: whoami after a foreign token = %d", name, code)
		}
	}
	if r := a.Get(urlA); r.StatusCode != http.StatusSeeOther {
		t.Fatalf("A's own logout: %d %s", r.StatusCode, r.Body)
	}
	if code := whoami(t, s, a); code != http.StatusUnauthorized {
		t.Fatalf("A after logout: whoami %d", code)
	}
	if code := whoami(t, s, sameIdentity); code != http.StatusOK {
		t.Fatalf("A's logout ended the identity's other session: whoami %d", code)
	}
}
