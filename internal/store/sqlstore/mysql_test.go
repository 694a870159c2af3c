package sqlstore

import (
	"context"
	"database/sql"
	"strings"
	"testing"

	"github.com/go-sql-driver/mysql"

	"github.com/portico-auth/portico/internal/store"
	"github.com/portico-auth/portico/internal/store/conformance"
)

// TestMySQL runs the conformance suite against PORTICO_TEST_MYSQL_DSN, e.g.
// mysql://root@tcp(127.0.0.1:3306)/portico_test. Each store lives in a throw-away database,
// dropped afterwards (the user must be allowed to create databases).
func TestMySQL(t *testing.T) {
	admin, cfg := mysqlAdmin(t)
	conformance.Run(t, func(t *testing.T) store.Store {
		return mysqlStore(t, admin, cfg)
	})
}

// mysqlAdmin opens PORTICO_TEST_MYSQL_DSN (skipping the test without it), closed when t ends.
func mysqlAdmin(t *testing.T) (*sql.DB, *mysql.Config) {
	t.Helper()
	cfg, err := mysql.ParseDSN(strings.TrimPrefix(serverDSN(t, "PORTICO_TEST_MYSQL_DSN"), "mysql://"))
	if err != nil {
		t.Fatal(err)
	}
	admin, err := sql.Open("mysql", cfg.FormatDSN())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = admin.Close() })
	return admin, cfg
}

// mysqlStore opens a migrated store in a throw-away database, dropped when t ends.
func mysqlStore(t *testing.T, admin *sql.DB, cfg *mysql.Config) *Store {
	t.Helper()
	db := "portico_t_" + randomName()
	if _, err := admin.ExecContext(context.Background(), "CREATE DATABASE "+db); err != nil {
		t.Fatalf("create database: %v", err)
	}
	t.Cleanup(func() { _, _ = admin.ExecContext(context.Background(), "DROP DATABASE "+db) })
	c := cfg.Clone()
	c.DBName = db
	return openMigrated(t, "mysql://"+c.FormatDSN())
}
