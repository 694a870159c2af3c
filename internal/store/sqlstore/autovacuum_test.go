package sqlstore

import (
	"database/sql"
	"strings"
	"testing"
)

// TestPostgresChurnTablesVacuumEarly checks that a migrated PostgreSQL schema has autovacuum
// visit flows and sessions at 2% of dead rows (migration 0019), not PostgreSQL's 20%.
func TestPostgresChurnTablesVacuumEarly(t *testing.T) {
	s := openPostgresTest(t)
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
