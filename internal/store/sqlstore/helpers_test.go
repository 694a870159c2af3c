package sqlstore

import (
	"context"
	"testing"

	"github.com/portico-auth/portico/internal/testdb"

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
func serverDSN(t *testing.T, env string) string { return testdb.ServerDSN(t, env) }

var _ store.Store = (*Store)(nil)
