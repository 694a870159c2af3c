package sqlstore

import (
	"context"
	"database/sql"
	"net/url"
	"testing"

	"github.com/portico-auth/portico/internal/store"
	"github.com/portico-auth/portico/internal/store/conformance"
)

// TestPostgres runs the conformance suite against PORTICO_TEST_POSTGRES_DSN, e.g.
// postgres://postgres@127.0.0.1:5432/portico_test?sslmode=disable. Each store lives in a
// throw-away schema, dropped afterwards.
func TestPostgres(t *testing.T) {
	dsn := serverDSN(t, "PORTICO_TEST_POSTGRES_DSN")
	admin, err := sql.Open("pgx", dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = admin.Close() })
	conformance.Run(t, func(t *testing.T) store.Store {
		return openMigrated(t, postgresSchema(t, admin, dsn))
	})
}

// postgresSchema creates a fresh schema and returns dsn with its search_path set to it.
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
	dsn := serverDSN(t, "PORTICO_TEST_POSTGRES_DSN")
	admin, err := sql.Open("pgx", dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = admin.Close() })
	return postgresSchema(t, admin, dsn)
}

func postgresSchema(t *testing.T, admin *sql.DB, dsn string) string {
	t.Helper()
	schema := "portico_t_" + randomName()
	if _, err := admin.ExecContext(context.Background(), "CREATE SCHEMA "+schema); err != nil {
		t.Fatalf("create schema: %v", err)
	}
	t.Cleanup(func() { _, _ = admin.ExecContext(context.Background(), "DROP SCHEMA "+schema+" CASCADE") })
	u, err := url.Parse(dsn)
	if err != nil {
		t.Fatal(err)
	}
	qs := u.Query()
	qs.Set("search_path", schema)
	u.RawQuery = qs.Encode()
	return u.String()
}
