package apptest_test

import (
	"net/http"
	"testing"

	"github.com/portico-auth/portico/internal/apptest"
)

func TestServerStartsAndAnswers(t *testing.T) {
	s := apptest.Start(t)
	app := s.Native(t)
	if r := app.Get(s.PublicURL("/health/ready")); r.StatusCode != http.StatusOK {
		t.Fatalf("ready: %d %s", r.StatusCode, r.Body)
	}
	if r := app.Get(s.AdminURL("/admin/health/ready")); r.StatusCode != http.StatusOK {
		t.Fatalf("admin ready: %d %s", r.StatusCode, r.Body)
	}
	id := s.CreateIdentity(t, "Ada@Example.com", "a-long-enough-password")
	if id.ID.String() == "" {
		t.Fatal("no id")
	}
	if r := app.Get(s.PublicURL("/sessions/whoami")); r.StatusCode != http.StatusUnauthorized {
		t.Fatalf("whoami without a session: %d", r.StatusCode)
	}
}
