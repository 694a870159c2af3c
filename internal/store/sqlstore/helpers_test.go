package sqlstore

import (
	"context"
	"os"
	"testing"

	"github.com/portico-auth/portico/internal/store"
)

// openMigrated opens dsn, migrates it and closes it when the test ends.
func openMigrated(t *testing.T, dsn string) *Store {
	t.Helper()
	s, err := Open(context.Background(), dsn)
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	t.Cleanup(func() { _ = s.Close() })
	if err := s.MigrateUp(context.Background(), nil); err != nil {
		t.Fatalf("migrate: %v", err)
	}
	return s
}

// serverDSN returns the DSN in env, skipping the test when it is unset, unless CI=true, where a
// missing database is a failure.
func serverDSN(t *testing.T, env string) string {
	t.Helper()
	dsn := os.Getenv(env)
	if dsn == "" {
		if os.Getenv("CI") == "true" {
			t.Fatalf("%s is not set, but CI=true requires every backend to be tested", env)
		}
		t.Skipf("%s not set", env)
	}
	return dsn
}

var _ store.Store = (*Store)(nil)
