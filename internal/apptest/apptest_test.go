package apptest_test

import (
	"context"
	"fmt"
	"net/http"
	"path/filepath"
	"testing"

	"github.com/portico-auth/portico/internal/apptest"
	"github.com/portico-auth/portico/internal/store/sqlstore"
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

// TestThrottleCountsStayWithTheirServer: two test servers on one database (as every test is on
// PORTICO_TEST_DSN) keep their own login throttle counts. The first uses up the per-address
// budget of failed passwords (every test client is 127.0.0.1); the second's first wrong
// password is still a wrong password, not a 429; and when the first server's test ends, its
// counts are gone from the table.
func TestThrottleCountsStayWithTheirServer(t *testing.T) {
	dsn := "sqlite://" + filepath.Join(t.TempDir(), "shared.sqlite")
	failed := func(s *apptest.Server, n int) int {
		c := s.Native(t)
		var f struct{ ID string }
		c.Get(s.PublicURL("/self-service/login/api")).JSON(t, &f)
		status := 0
		for i := range n {
			status = c.PostJSON(s.PublicURL("/self-service/login?flow="+f.ID), map[string]string{
				"method": "password", "identifier": fmt.Sprintf("nobody-%d@example.com", i), "password": "not the password",
			}).StatusCode
		}
		return status
	}
	t.Run("two servers", func(t *testing.T) {
		first := apptest.Start(t, apptest.WithDSN(dsn))
		if got := failed(first, 31); got != http.StatusTooManyRequests {
			t.Fatalf("the 31st failed password from one address: %d, want 429", got)
		}
		second := apptest.Start(t, apptest.WithDSN(dsn))
		if got := failed(second, 1); got != http.StatusBadRequest {
			t.Fatalf("another server's first failed password: %d, want 400 (its own budget)", got)
		}
	})
	st, err := sqlstore.Open(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	var rows int
	if err := st.DB().QueryRow("SELECT COUNT(*) FROM login_failures").Scan(&rows); err != nil || rows != 0 {
		t.Fatalf("%d throttle rows left after the servers' test ended (%v)", rows, err)
	}
}
