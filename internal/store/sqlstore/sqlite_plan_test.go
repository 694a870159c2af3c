package sqlstore

import (
	"context"
	"path/filepath"
	"regexp"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/portico-auth/portico/internal/store"
)

// scaleStats are the planner statistics (sqlite_stat1) of bench/scale's SQLite file with 1M
// identities and 10M sessions: a test database that says it is that large gets the plans
// that size gets, without holding the rows.
var scaleStats = [][3]string{
	{"sessions", "sessions_expires_at_idx", "10030000 2001"},
	{"sessions", "sessions_issued_at_idx", "10030000 4"},
	{"sessions", "sessions_identity_id_issued_at_idx", "10030000 10 1"},
	{"sessions", "sqlite_autoindex_sessions_2", "10030000 1"},
	{"sessions", "sqlite_autoindex_sessions_1", "10030000 1"},
	{"identity_recovery_addresses", "identity_recovery_addresses_identity_id_idx", "1000003 1"},
	{"identity_verifiable_addresses", "identity_verifiable_addresses_identity_id_idx", "1000003 1"},
	{"identities", "identities_deleted_at_idx", "0 0"},
	{"identities", "identities_external_id_idx", "1000003 2001"},
	{"identities", "sqlite_autoindex_identities_1", "1000003 1"},
}

// walksIdentities matches a plan line that reads every identity: a scan of the table, or a
// Bloom filter built over it (SQLite 3.54 turned an EXISTS on identities into one).
var walksIdentities = regexp.MustCompile(`^(SCAN|BLOOM FILTER ON) (i|identities)\b`)

// TestSQLiteSessionListsDoNotWalkIdentities explains the session lists (/admin/sessions
// first and deep page, an identity's sessions, active only) with the statistics of a
// database of 1M identities and 10M sessions: none may read every identity. With the
// tombstone check written as EXISTS on identities the admin list's plan built a Bloom filter
// over the whole table for each page (514 ms a page at that size, bench/scale).
func TestSQLiteSessionListsDoNotWalkIdentities(t *testing.T) {
	ctx := context.Background()
	s := openMigrated(t, "sqlite://"+filepath.Join(t.TempDir(), "plans.db"))
	for _, q := range []string{"ANALYZE", "DELETE FROM sqlite_stat1"} {
		if _, err := s.wdb.ExecContext(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	for _, st := range scaleStats {
		if _, err := s.wdb.ExecContext(ctx, "INSERT INTO sqlite_stat1 (tbl, idx, stat) VALUES (?, ?, ?)", st[0], st[1], st[2]); err != nil {
			t.Fatal(err)
		}
	}

	var seen []recorded
	s.record = func(query string, args []any) {
		seen = append(seen, recorded{query, append([]any(nil), args...)})
	}
	active := true
	deep := timeIDToken(time.Now().Add(-15*24*time.Hour), uuid.Max)
	for _, l := range []struct {
		identity uuid.UUID
		active   *bool
		token    string
	}{
		{uuid.Nil, nil, ""},
		{uuid.Nil, nil, deep},
		{uuid.Nil, &active, deep},
		{uuid.New(), nil, ""},
		{uuid.New(), &active, deep},
	} {
		if _, _, err := s.ListSessions(ctx, l.identity, l.active, store.ListParams{PageSize: 250, PageToken: l.token}); err != nil {
			t.Fatal(err)
		}
	}
	s.record = nil
	if len(seen) < 5 {
		t.Fatalf("recorded %d statements, want one per list at least", len(seen))
	}

	// One connection, which reads the statistics again before explaining.
	conn, err := s.wdb.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, "ANALYZE sqlite_schema"); err != nil {
		t.Fatal(err)
	}
	for _, r := range seen {
		rows, err := conn.QueryContext(ctx, "EXPLAIN QUERY PLAN "+r.query, r.args...)
		if err != nil {
			t.Fatalf("explain: %v\n%s", err, r.query)
		}
		var plan []string
		for rows.Next() {
			var (
				id, parent, unused int
				detail             string
			)
			if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
				t.Fatal(err)
			}
			plan = append(plan, detail)
		}
		if err := rows.Close(); err != nil {
			t.Fatal(err)
		}
		for _, line := range plan {
			if walksIdentities.MatchString(line) {
				t.Errorf("%q in the plan %q of\n%s", line, plan, r.query)
			}
		}
	}
}
