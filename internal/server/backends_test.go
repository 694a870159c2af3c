package server_test

import (
	"os"
	"testing"

	"github.com/portico-auth/portico/internal/testdb"
)

// testBackends returns the databases a hostile-input test runs on: SQLite always, and a
// throw-away PostgreSQL schema and MariaDB database when PORTICO_TEST_POSTGRES_DSN /
// PORTICO_TEST_MYSQL_DSN are set (each dropped when the test ends). The keys name the backend.
func testBackends(t *testing.T) map[string]string {
	t.Helper()
	out := map[string]string{"sqlite": "memory"}
	if base := os.Getenv(testdb.PostgresEnv); base != "" {
		out["postgres"] = testdb.PostgresSchema(t, base)
	}
	if base := os.Getenv(testdb.MySQLEnv); base != "" {
		out["mysql"] = testdb.MySQLDatabase(t, base)
	}
	if os.Getenv("CI") == "true" && len(out) < 3 {
		t.Fatal("CI=true requires PORTICO_TEST_POSTGRES_DSN and PORTICO_TEST_MYSQL_DSN for the hostile-input tests")
	}
	return out
}
