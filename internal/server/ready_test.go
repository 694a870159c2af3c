package server_test

import (
	"context"
	"database/sql"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/portico-auth/portico/internal/apptest"
)

// readyStatuses returns /health/ready's status on both listeners and both admin spellings.
func readyStatuses(t *testing.T, s *apptest.Server) []int {
	t.Helper()
	var out []int
	for _, u := range []string{s.PublicURL("/health/ready"), s.AdminURL("/health/ready"), s.AdminURL("/admin/health/ready")} {
		res, err := http.Get(u)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		out = append(out, res.StatusCode)
	}
	return out
}

func allStatus(got []int, want int) bool {
	for _, g := range got {
		if g != want {
			return false
		}
	}
	return true
}

// TestReadyFailsWhenTheDatabaseCannotWrite: a SQLite file that can be read but not written
// (a full disk, a read-only mount: here the writer connection is made query-only) answers
// pings, so readiness must try a write; writes themselves answer 503, not 500.
func TestReadyFailsWhenTheDatabaseCannotWrite(t *testing.T) {
	s := apptest.Start(t, apptest.WithDSN("sqlite://"+filepath.Join(t.TempDir(), "ready.db")))
	if got := readyStatuses(t, s); !allStatus(got, http.StatusOK) {
		t.Fatalf("ready before: %v", got)
	}
	db := s.Store.DB() // the single writer connection
	if _, err := db.Exec("PRAGMA query_only = 1"); err != nil {
		t.Fatal(err)
	}
	s.Clock.Advance(2 * time.Second) // past the one-second readiness cache
	if got := readyStatuses(t, s); !allStatus(got, http.StatusServiceUnavailable) {
		t.Errorf("ready while writes fail: %v, want 503", got)
	}
	app := s.Native(t)
	if r := app.Get(s.PublicURL("/self-service/login/api")); r.StatusCode != http.StatusServiceUnavailable {
		t.Errorf("a write while the database cannot take one: %d %s, want 503", r.StatusCode, r.Body)
	}
	if _, err := db.Exec("PRAGMA query_only = 0"); err != nil {
		t.Fatal(err)
	}
	if got := readyStatuses(t, s); !allStatus(got, http.StatusServiceUnavailable) {
		t.Errorf("within the cache second the result stands: %v", got)
	}
	s.Clock.Advance(2 * time.Second)
	if got := readyStatuses(t, s); !allStatus(got, http.StatusOK) {
		t.Errorf("ready after writes work again: %v", got)
	}
}

// TestReadyFailsOnReadOnlyPostgres: a PostgreSQL that answers but refuses writes (a standby
// after a failover, default_transaction_read_only) is not ready.
func TestReadyFailsOnReadOnlyPostgres(t *testing.T) {
	base := os.Getenv("PORTICO_TEST_POSTGRES_DSN")
	if base == "" {
		if os.Getenv("CI") == "true" {
			t.Fatal("PORTICO_TEST_POSTGRES_DSN is not set, but CI=true requires the PostgreSQL tests")
		}
		t.Skip("PORTICO_TEST_POSTGRES_DSN not set")
	}
	admin, err := sql.Open("pgx", base)
	if err != nil {
		t.Fatal(err)
	}
	name := fmt.Sprintf("portico_ready_%d", time.Now().UnixNano())
	if _, err := admin.Exec("CREATE DATABASE " + name); err != nil {
		admin.Close()
		t.Fatal(err)
	}
	// Dropped by a cleanup (which runs after the function returns), so the pool that drops it
	// must stay open until then: a deferred Close here left every such database behind.
	t.Cleanup(func() {
		if _, err := admin.Exec("DROP DATABASE " + name + " WITH (FORCE)"); err != nil {
			t.Errorf("dropping %s: %v", name, err)
		}
		admin.Close()
	})
	u, err := url.Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	u.Path = "/" + name
	s := apptest.Start(t, apptest.WithDSN(u.String()))
	if got := readyStatuses(t, s); !allStatus(got, http.StatusOK) {
		t.Fatalf("ready before: %v", got)
	}
	// New sessions of the database are read-only; end the pool's current ones.
	if _, err := admin.Exec("ALTER DATABASE " + name + " SET default_transaction_read_only = on"); err != nil {
		t.Fatal(err)
	}
	if _, err := admin.Exec("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1", name); err != nil {
		t.Fatal(err)
	}
	// Reads work again once the pool has replaced its connections.
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	for ok := 0; ok < 3; {
		if ctx.Err() != nil {
			t.Fatal("reads never recovered after the connections were ended")
		}
		res, err := http.Get(s.AdminURL("/admin/identities"))
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode == http.StatusOK {
			ok++
		}
	}
	s.Clock.Advance(2 * time.Second)
	if got := readyStatuses(t, s); !allStatus(got, http.StatusServiceUnavailable) {
		t.Errorf("ready on a read-only database: %v, want 503", got)
	}
	if r := s.Native(t).Get(s.PublicURL("/self-service/login/api")); r.StatusCode != http.StatusServiceUnavailable {
		t.Errorf("a write on a read-only database: %d %s, want 503", r.StatusCode, r.Body)
	}
}
