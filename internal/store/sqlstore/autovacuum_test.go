package sqlstore

import (
	"database/sql"
	"strings"
	"testing"
)

// TestPostgresChurnTablesVacuumEarly checks that a migrated PostgreSQL schema has autovacuum
// visit flows and sessions at 2% of dead rows (migration 0019), not PostgreSQL's 20%.
func TestPostgresChurnTablesVacuumEarly(t *testing.T) {
	dsn := serverDSN(t, "PORTICO_TEST_POSTGRES_DSN")
	admin, err := sql.Open("pgx", dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = admin.Close() })
	s := openMigrated(t, postgresSchema(t, admin, dsn))
	for _, table := range []string{"flows", "sessions"} {
		var opts sql.NullString
		err := s.rdb.QueryRow(`SELECT array_to_string(reloptions, ',') FROM pg_class
			WHERE relname = $1 AND relnamespace = current_schema()::regnamespace`, table).Scan(&opts)
		if err != nil {
			t.Fatal(err)
		}
		for _, want := range []string{"autovacuum_vacuum_scale_factor=0.02", "autovacuum_analyze_scale_factor=0.02"} {
			if !strings.Contains(opts.String, want) {
				t.Errorf("%s options %q, want %s", table, opts.String, want)
			}
		}
	}
}
