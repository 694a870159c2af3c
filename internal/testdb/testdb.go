// Package testdb gives tests throw-away databases on the PostgreSQL and MySQL/MariaDB servers
// named by PORTICO_TEST_POSTGRES_DSN and PORTICO_TEST_MYSQL_DSN: a fresh schema or database per
// call, dropped when the test ends. Only tests import it.
package testdb

import (
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"net/url"
	"os"
	"strings"
	"testing"

	"github.com/go-sql-driver/mysql"
	_ "github.com/jackc/pgx/v5/stdlib" // the "pgx" driver
)

// Env names the server a backend's tests run against.
const (
	PostgresEnv = "PORTICO_TEST_POSTGRES_DSN"
	MySQLEnv    = "PORTICO_TEST_MYSQL_DSN"
)

// ServerDSN returns the DSN in env. When it is unset the test is skipped, unless CI=true,
// where a backend that is not tested is a failure.
func ServerDSN(t testing.TB, env string) string {
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

func name() string {
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	return "portico_t_" + hex.EncodeToString(b)
}

// PostgresSchema creates a fresh schema on the server of base (a postgres:// DSN) and returns
// base with its search_path set to it; the schema is dropped when the test ends.
func PostgresSchema(t testing.TB, base string) string {
	t.Helper()
	admin, err := sql.Open("pgx", base)
	if err != nil {
		t.Fatal(err)
	}
	schema := name()
	if _, err := admin.Exec("CREATE SCHEMA " + schema); err != nil {
		_ = admin.Close()
		t.Fatalf("postgres: create schema: %v", err)
	}
	t.Cleanup(func() {
		_, _ = admin.Exec("DROP SCHEMA " + schema + " CASCADE")
		_ = admin.Close()
	})
	u, err := url.Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}

// MySQLDatabase creates a fresh database (utf8mb4, binary collation) on the server of base (a
// mysql:// DSN) and returns base naming it; the database is dropped when the test ends.
func MySQLDatabase(t testing.TB, base string) string {
	t.Helper()
	cfg, err := mysql.ParseDSN(strings.TrimPrefix(base, "mysql://"))
	if err != nil {
		t.Fatal(err)
	}
	server := cfg.Clone()
	server.DBName = ""
	admin, err := sql.Open("mysql", server.FormatDSN())
	if err != nil {
		t.Fatal(err)
	}
	db := name()
	if _, err := admin.Exec("CREATE DATABASE " + db + " CHARACTER SET utf8mb4 COLLATE utf8mb4_bin"); err != nil {
		_ = admin.Close()
		t.Fatalf("mysql: create database: %v", err)
	}
	t.Cleanup(func() {
		_, _ = admin.Exec("DROP DATABASE " + db)
		_ = admin.Close()
	})
	c := cfg.Clone()
	c.DBName = db
	return "mysql://" + c.FormatDSN()
}
