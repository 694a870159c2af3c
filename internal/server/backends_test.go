package server_test

import (
	"database/sql"
	"fmt"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	_ "github.com/go-sql-driver/mysql"
	_ "github.com/jackc/pgx/v5/stdlib"
)

// testBackends returns the databases a hostile-input test runs on: SQLite always, and a
// throw-away PostgreSQL schema and MariaDB database when PORTICO_TEST_POSTGRES_DSN /
// PORTICO_TEST_MYSQL_DSN are set (each dropped when the test ends). The keys name the backend.
func testBackends(t *testing.T) map[string]string {
	t.Helper()
	out := map[string]string{"sqlite": "memory"}
	name := fmt.Sprintf("attack_%d", time.Now().UnixNano())
	if base := os.Getenv("PORTICO_TEST_POSTGRES_DSN"); base != "" {
		db, err := sql.Open("pgx", base)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := db.Exec("CREATE SCHEMA " + name); err != nil {
			t.Fatalf("postgres: %v", err)
		}
		t.Cleanup(func() {
			_, _ = db.Exec("DROP SCHEMA " + name + " CASCADE")
			_ = db.Close()
		})
		u, err := url.Parse(base)
		if err != nil {
			t.Fatal(err)
		}
		q := u.Query()
		q.Set("search_path", name)
		u.RawQuery = q.Encode()
		out["postgres"] = u.String()
	}
	if base := os.Getenv("PORTICO_TEST_MYSQL_DSN"); base != "" {
		// mysql://user@tcp(host:port)/db?params: swap the database name for a fresh one.
		rest := strings.TrimPrefix(base, "mysql://")
		slash := strings.LastIndex(rest, "/")
		if slash < 0 {
			t.Fatalf("PORTICO_TEST_MYSQL_DSN %q has no database name", base)
		}
		params := ""
		if q := strings.IndexByte(rest[slash:], '?'); q >= 0 {
			params = rest[slash+q:]
		}
		db, err := sql.Open("mysql", rest[:slash]+"/")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := db.Exec("CREATE DATABASE " + name + " CHARACTER SET utf8mb4 COLLATE utf8mb4_bin"); err != nil {
			t.Fatalf("mysql: %v", err)
		}
		t.Cleanup(func() {
			_, _ = db.Exec("DROP DATABASE " + name)
			_ = db.Close()
		})
		out["mysql"] = "mysql://" + rest[:slash] + "/" + name + params
	}
	if os.Getenv("CI") == "true" && len(out) < 3 {
		t.Fatal("CI=true requires PORTICO_TEST_POSTGRES_DSN and PORTICO_TEST_MYSQL_DSN for the hostile-input tests")
	}
	return out
}
