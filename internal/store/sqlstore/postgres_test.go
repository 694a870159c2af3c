package sqlstore

import (
	"testing"

	"github.com/portico-auth/portico/internal/store"
	"github.com/portico-auth/portico/internal/store/conformance"
	"github.com/portico-auth/portico/internal/testdb"
)

// TestPostgres runs the conformance suite against PORTICO_TEST_POSTGRES_DSN, e.g.
// postgres://postgres@127.0.0.1:5432/portico_test?sslmode=disable. Each store lives in a
// throw-away schema, dropped afterwards.
func TestPostgres(t *testing.T) {
	dsn := serverDSN(t, testdb.PostgresEnv)
	conformance.Run(t, func(t *testing.T) store.Store {
		return openMigrated(t, testdb.PostgresSchema(t, dsn))
	})
}

// openPostgresTest opens a migrated store in a schema of its own on PORTICO_TEST_POSTGRES_DSN's
// database (skipped without it), dropped when the test ends.
func openPostgresTest(t *testing.T) *Store {
	t.Helper()
	return openMigrated(t, freshPostgresDSN(t))
}

// freshPostgresDSN returns PORTICO_TEST_POSTGRES_DSN (skipped without it) with its search_path
// set to a fresh schema, dropped when the test ends; nothing is migrated there yet.
func freshPostgresDSN(t *testing.T) string {
	t.Helper()
	return testdb.PostgresSchema(t, serverDSN(t, testdb.PostgresEnv))
}
