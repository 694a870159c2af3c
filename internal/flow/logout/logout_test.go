package logout_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/portico-auth/portico/internal/apptest"
)

func errID(t *testing.T, r *apptest.Response) string {
	t.Helper()
	id, _ := r.Map(t)["error"].(map[string]any)["id"].(string)
	return id
}

func TestLogoutErrors(t *testing.T) {
	s := apptest.Start(t)
	app := s.Native(t)
	json := http.Header{"Content-Type": {"application/json"}}

	spa := s.SPA(t)
	if r := spa.Get(s.PublicURL("/self-service/logout/browser")); r.StatusCode != 401 || errID(t, r) != "session_inactive" {
		t.Fatalf("logout url without a session: %d %s", r.StatusCode, r.Body)
	}
	if r := app.Do(http.MethodDelete, s.PublicURL("/self-service/logout/api"), strings.NewReader(`{}`), json); r.StatusCode != 400 {
		t.Fatalf("no token: %d %s", r.StatusCode, r.Body)
	}
	if r := app.Do(http.MethodDelete, s.PublicURL("/self-service/logout/api"), strings.NewReader(`{"session_token":"ory_st_nope"}`), json); r.StatusCode != 403 {
		t.Fatalf("unknown token: %d %s", r.StatusCode, r.Body)
	}
	tok := s.RegisterNative(t, "ada@example.com", "a fine password")
	for i := range 2 { // a token revoked before is still 204
		if r := app.Do(http.MethodDelete, s.PublicURL("/self-service/logout/api"), strings.NewReader(`{"session_token":"`+tok+`"}`), json); r.StatusCode != 204 {
			t.Fatalf("logout %d: %d %s", i, r.StatusCode, r.Body)
		}
	}

	b := s.Browser(t)
	s.LoginBrowser(t, b, "ada@example.com", "a fine password")
	jsonAccept := http.Header{"Accept": {"application/json"}}
	if r := b.Do(http.MethodGet, s.PublicURL("/self-service/logout"), nil, jsonAccept); r.StatusCode != 400 {
		t.Fatalf("no token: %d %s", r.StatusCode, r.Body)
	}
	if r := b.Do(http.MethodGet, s.PublicURL("/self-service/logout?token=ory_lo_wrong"), nil, jsonAccept); r.StatusCode != 403 {
		t.Fatalf("wrong token: %d %s", r.StatusCode, r.Body)
	}
	if r := b.Do(http.MethodGet, s.PublicURL("/self-service/logout/browser?return_to=https://evil.example/"), nil, jsonAccept); r.StatusCode != 400 ||
		errID(t, r) != "self_service_flow_return_to_forbidden" {
		t.Fatalf("forbidden return_to: %d %s", r.StatusCode, r.Body)
	}
	r := b.Do(http.MethodGet, s.PublicURL("/self-service/logout/browser?return_to=/after"), nil, jsonAccept)
	if r.StatusCode != 200 {
		t.Fatalf("logout url: %d %s", r.StatusCode, r.Body)
	}
	res := b.Get(r.Map(t)["logout_url"].(string))
	if res.StatusCode != 303 || !strings.HasSuffix(res.Header.Get("Location"), "/after") {
		t.Fatalf("logout: %d %s", res.StatusCode, res.Header.Get("Location"))
	}
	if r := b.Get(s.PublicURL("/sessions/whoami")); r.StatusCode != 401 {
		t.Fatalf("whoami after logout: %d", r.StatusCode)
	}
}
