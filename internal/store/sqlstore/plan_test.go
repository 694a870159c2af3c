package sqlstore

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/portico-auth/portico/internal/audit"
	"github.com/portico-auth/portico/internal/identity"
	"github.com/portico-auth/portico/internal/session"
	"github.com/portico-auth/portico/internal/store"
)

// planRows are the sizes the plan test fills a PostgreSQL schema with: large enough that a
// sequential scan of any of these tables costs more than an index lookup, small enough to
// build in seconds.
const (
	planIdentities = 20000
	planSessions   = 5 // per identity
)

// largeTables are the tables that grow with the number of people; a plan may scan the others.
var largeTables = map[string]bool{
	"identities": true, "identity_credentials": true, "identity_credential_identifiers": true,
	"identity_verifiable_addresses": true, "identity_recovery_addresses": true,
	"identity_credential_keys": true, "sessions": true, "flows": true,
}

// fillForPlans writes identities with a password credential, both addresses, sessions (token
// hashes are SHA-256 of "t<n>") and flows in a few set-based statements, then ANALYZEs.
func fillForPlans(t *testing.T, db *sql.DB) {
	t.Helper()
	ctx := context.Background()
	stmts := []string{
		fmt.Sprintf(`INSERT INTO identities (id, schema_id, state, traits, metadata_public, version, created_at, updated_at)
			SELECT md5('i' || n)::uuid, 'default', 'active', '{"email":"user' || n || '@example.org"}', '{}', 1, now(), now()
			FROM generate_series(1, %d) n`, planIdentities),
		`INSERT INTO identity_credentials (id, identity_id, type, config, version, created_at, updated_at)
			SELECT md5('c' || i.id)::uuid, i.id, 'password', '{"hashed_password":"$2a$04$x"}', 0, now(), now() FROM identities i`,
		`INSERT INTO identity_credential_identifiers (credential_type, identifier, identity_id, credential_id, position)
			SELECT 'password', (i.traits::json)->>'email', i.id, md5('c' || i.id)::uuid, 0 FROM identities i`,
		`INSERT INTO identity_verifiable_addresses (id, identity_id, via, value, verified, status, created_at, updated_at)
			SELECT md5('v' || i.id)::uuid, i.id, 'email', (i.traits::json)->>'email', false, 'pending', now(), now() FROM identities i`,
		`INSERT INTO identity_recovery_addresses (id, identity_id, via, value, created_at, updated_at)
			SELECT md5('r' || i.id)::uuid, i.id, 'email', (i.traits::json)->>'email', now(), now() FROM identities i`,
		fmt.Sprintf(`INSERT INTO sessions (id, token_hash, identity_id, active, aal, authenticated_at, issued_at, expires_at,
				authentication_methods, devices, created_at, updated_at, version)
			SELECT md5('s' || n)::uuid, sha256(('t' || n)::bytea), md5('i' || (1 + n %% %d))::uuid, n %% 3 <> 0, 'aal1',
				now() - (n || ' seconds')::interval, now() - (n || ' seconds')::interval,
				now() + interval '1 day' - (n * 2 || ' seconds')::interval, '[]', '[]', now(), now(), 1
			FROM generate_series(1, %d) n`, planIdentities, planIdentities*planSessions),
		fmt.Sprintf(`INSERT INTO flows (id, kind, identity_id, expires_at, data, created_at, updated_at)
			SELECT md5('f' || n)::uuid, 'settings', md5('i' || (1 + n %% %d))::uuid, now() + interval '1 hour' - (n || ' seconds')::interval,
				'{}', now(), now() FROM generate_series(1, %d) n`, planIdentities, planIdentities),
		// A verification code per flow, sent to an address of an identity by a flow naming none.
		`INSERT INTO one_time_codes (id, flow_id, purpose, method, identity_id, via, address, hash, attempts, expires_at, created_at)
			SELECT md5('o' || f.id)::uuid, f.id, 'verification', 'code', NULL, 'email', 'user' || (1 + n % ` + fmt.Sprint(planIdentities) + `) || '@example.org',
				sha256(('o' || n)::bytea), 0, now() + interval '1 hour', now()
			FROM (SELECT id, row_number() OVER (ORDER BY id) AS n FROM flows) f`,
		"ANALYZE",
	}
	for _, q := range stmts {
		if _, err := db.ExecContext(ctx, q); err != nil {
			t.Fatalf("fill: %v\n%s", err, q)
		}
	}
}

// planFixture names the rows of a filled database the hot operations use: an identity with
// sessions, the token of one of them, its password identifier, and a settings flow of its.
type planFixture struct {
	identity, flow string // SQL expressions of their ids
	token, email   string
	// other is the SQL expression of another identity's id, which deletes its own account.
	other string
}

// fillFixture is what fillForPlans wrote.
var fillFixture = planFixture{identity: "md5('i' || 42)::uuid", flow: "md5('f' || 42)::uuid", token: "t42", email: "user42@example.org",
	other: "md5('i' || 43)::uuid"}

// scaleFixture is identity k of what bench/scale's PostgreSQL builder writes
// (bench/scale/build_pg.go); even identities have a settings flow.
func scaleFixture(k int) planFixture {
	return planFixture{identity: fmt.Sprintf("md5('identity-%d')::uuid", k), flow: fmt.Sprintf("md5('flow-%d')::uuid", k),
		token: fmt.Sprintf("scale-token-%d-0", k), email: fmt.Sprintf("user%d@scale.example", k),
		other: fmt.Sprintf("md5('identity-%d')::uuid", k+1)}
}

type recorded struct {
	query string
	args  []any
}

// hotQueries runs every operation a request or the cleanup makes often and returns the
// statements the store ran, once each.
func hotQueries(t *testing.T, s *Store, fx planFixture) []recorded {
	t.Helper()
	ctx := context.Background()
	var out []recorded
	seen := map[string]bool{}
	s.record = func(query string, args []any) {
		if !seen[query] {
			seen[query] = true
			out = append(out, recorded{query, append([]any(nil), args...)})
		}
	}
	defer func() { s.record = nil }()
	var ident uuid.UUID
	if err := s.rdb.QueryRowContext(ctx, "SELECT "+fx.identity).Scan(&ident); err != nil {
		t.Fatal(err)
	}
	h := sha256.Sum256([]byte(fx.token))
	check := func(what string, err error) {
		t.Helper()
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
	}
	ss, err := s.GetSessionByToken(ctx, h[:])
	check("session by token", err)
	_, err = s.GetSession(ctx, ss.ID)
	check("session by id", err)
	read, err := s.GetIdentity(ctx, ident, true)
	check("identity", err)
	// A settings profile change: on PostgreSQL one statement (updateIdentityOneStatement).
	changed := read.Clone()
	changed.Traits = json.RawMessage(`{"email":"` + fx.email + `","name":"plan"}`)
	check("profile update", s.UpdateIdentityWith(audit.With(ctx, audit.New(audit.IdentityUpdated, ident, nil)), changed,
		store.IdentityWrites{Stored: read, Flows: func(v *identity.Identity) ([]store.FlowWrite, error) {
			return []store.FlowWrite{{Record: &store.FlowRecord{Kind: "settings", IdentityID: &v.ID, ExpiresAt: time.Now().Add(time.Hour), Data: []byte(`{}`)}, Create: true},
				{Record: &store.FlowRecord{ID: uuid.New(), Kind: "settings", IdentityID: &v.ID, ExpiresAt: time.Now().Add(time.Hour), Data: []byte(`{}`)}}}, nil
		}}))
	_, err = s.FindByCredentialsIdentifier(ctx, identity.CredentialsPassword, fx.email)
	check("identity by identifier", err)
	_, next, err := s.ListIdentities(ctx, store.IdentityFilter{}, store.ListParams{})
	check("identities page 1", err)
	_, _, err = s.ListIdentities(ctx, store.IdentityFilter{}, store.ListParams{PageToken: next})
	check("identities page 2", err)
	_, _, err = s.ListIdentities(ctx, store.IdentityFilter{CredentialsIdentifier: fx.email}, store.ListParams{})
	check("identities by identifier", err)
	active := true
	_, next, err = s.ListSessions(ctx, uuid.Nil, nil, store.ListParams{})
	check("sessions page 1", err)
	_, _, err = s.ListSessions(ctx, uuid.Nil, &active, store.ListParams{PageToken: next})
	check("sessions page 2", err)
	_, _, err = s.ListSessions(ctx, ident, &active, store.ListParams{})
	check("an identity's sessions", err)
	n := &session.Session{Active: true, IdentityID: ident, TokenHash: fmt.Appendf(nil, "plan-test-token-%d", time.Now().UnixNano()), AAL: session.AAL1,
		ExpiresAt: time.Now().Add(time.Hour)}
	_, err = s.CreateSessionCapped(ctx, n, 3)
	check("capped session", err)
	check("extend", s.ExtendSession(ctx, n.ID, time.Now(), time.Now().Add(2*time.Hour)))
	_, err = s.RevokeSessionsExcept(ctx, ident, n.ID)
	check("revoke others", err)
	var flowID uuid.UUID
	check("a flow", s.rdb.QueryRowContext(ctx, "SELECT "+fx.flow).Scan(&flowID))
	_, err = s.GetFlow(ctx, "settings", flowID)
	check("get flow", err)
	_, err = s.TrimFlows(ctx, "settings", ident, flowID, 50, 34)
	check("trim flows", err)
	_, err = s.TrimFlows(ctx, "settings", ident, flowID, 0, 0)
	check("trim flows to one", err)
	_, err = s.DeleteSessionsExpiredBefore(ctx, time.Now(), 500)
	check("delete expired sessions", err)
	_, err = s.DeleteFlowsExpiredBefore(ctx, time.Now(), 500)
	check("delete expired flows", err)
	_, err = s.PurgeDeletedIdentities(ctx, time.Now(), 500)
	check("finish deleted identities", err)
	check("delete identity", s.DeleteIdentity(ctx, ident))
	var other uuid.UUID
	check("another identity", s.rdb.QueryRowContext(ctx, "SELECT "+fx.other).Scan(&other))
	o := &session.Session{Active: true, IdentityID: other, TokenHash: fmt.Appendf(nil, "plan-test-own-%d", time.Now().UnixNano()), AAL: session.AAL1,
		ExpiresAt: time.Now().Add(time.Hour)}
	_, err = s.CreateSessionCapped(ctx, o, 3)
	check("the other's session", err)
	check("delete own account", s.DeleteAccount(ctx, other, o.ID, time.Now(), nil))
	return out
}

// badNodes returns the nodes of an EXPLAIN (FORMAT JSON) plan that are a sequential scan of a
// large table or a parallel plan.
func badNodes(plan any) []string {
	var bad []string
	var walk func(n map[string]any)
	walk = func(n map[string]any) {
		typ, _ := n["Node Type"].(string)
		rel, _ := n["Relation Name"].(string)
		if typ == "Seq Scan" && largeTables[rel] {
			bad = append(bad, "Seq Scan on "+rel)
		}
		if strings.HasPrefix(typ, "Gather") || n["Parallel Aware"] == true {
			bad = append(bad, "parallel "+typ+" "+rel)
		}
		kids, _ := n["Plans"].([]any)
		for _, k := range kids {
			if m, ok := k.(map[string]any); ok {
				walk(m)
			}
		}
	}
	if list, ok := plan.([]any); ok && len(list) > 0 {
		if m, ok := list[0].(map[string]any); ok {
			if p, ok := m["Plan"].(map[string]any); ok {
				walk(p)
			}
		}
	}
	return bad
}

// deletedThrough explains the DELETE r with PostgreSQL's default page costs and returns the
// node type of the scan that finds the rows it deletes: the delete's child that is not one
// of its subplans (the batch's pick is an InitPlan).
func deletedThrough(t *testing.T, db *sql.DB, r recorded) string {
	t.Helper()
	conn, err := db.Conn(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	defer func() { _, _ = conn.ExecContext(context.Background(), "RESET ALL") }()
	for _, set := range defaultCosts {
		if _, err := conn.ExecContext(context.Background(), "SET "+set); err != nil {
			t.Fatal(err)
		}
	}
	var raw string
	if err := conn.QueryRowContext(context.Background(), "EXPLAIN (FORMAT JSON) "+r.query, r.args...).Scan(&raw); err != nil {
		t.Fatalf("explain: %v\n%s", err, r.query)
	}
	var plan []struct {
		Plan struct {
			Type  string `json:"Node Type"`
			Plans []struct {
				Type     string `json:"Node Type"`
				Relation string `json:"Parent Relationship"`
			}
		}
	}
	if err := json.Unmarshal([]byte(raw), &plan); err != nil || len(plan) == 0 {
		t.Fatalf("plan %q: %v", raw, err)
	}
	if plan[0].Plan.Type != "ModifyTable" {
		return plan[0].Plan.Type
	}
	for _, k := range plan[0].Plan.Plans {
		if k.Relation != "InitPlan" && k.Relation != "SubPlan" {
			return k.Type
		}
	}
	return "nothing"
}

// strictPlanner are costs that make the planner reach for a parallel plan wherever one is
// allowed and a sequential scan only where no index can replace it (enable_seqscan = off: a
// sequential scan left in a plan is one no index can replace), for a database too small for
// the real costs to show.
var strictPlanner = []string{"enable_seqscan = off", "parallel_setup_cost = 0", "parallel_tuple_cost = 0",
	"min_parallel_table_scan_size = 0", "min_parallel_index_scan_size = 0"}

// defaultCosts are PostgreSQL's default page costs, pinned so that a test explaining with the
// planner's own choices does not depend on how the server under test is tuned.
var defaultCosts = []string{"seq_page_cost = 1", "random_page_cost = 4"}

// explainAll explains each statement on db after the settings sets (strictPlanner, or nil:
// the planner's own settings decide, as on a large database) and returns the bad nodes per
// statement.
func explainAll(t *testing.T, db *sql.DB, qs []recorded, sets []string) map[string][]string {
	t.Helper()
	ctx := context.Background()
	conn, err := db.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	for _, set := range sets {
		if _, err := conn.ExecContext(ctx, "SET "+set); err != nil {
			t.Fatal(err)
		}
	}
	defer func() { _, _ = conn.ExecContext(ctx, "RESET ALL") }()
	out := map[string][]string{}
	for _, r := range qs {
		if strings.HasPrefix(strings.TrimSpace(r.query), "INSERT") {
			continue // a single-row insert has no plan to speak of
		}
		var raw string
		if err := conn.QueryRowContext(ctx, "EXPLAIN (FORMAT JSON) "+r.query, r.args...).Scan(&raw); err != nil {
			t.Fatalf("explain: %v\n%s", err, r.query)
		}
		var plan any
		if err := json.Unmarshal([]byte(raw), &plan); err != nil {
			t.Fatal(err)
		}
		if bad := badNodes(plan); len(bad) > 0 {
			out[r.query] = bad
		}
	}
	return out
}

// TestPostgresHotQueryPlans runs every hot operation on a PostgreSQL schema with 20,000
// identities and 100,000 sessions, records the statements the store runs, and EXPLAINs each:
// none may scan a large table sequentially or use a parallel plan. At this size the planner
// would rightly scan a table for 250 ids, so it is told that sequential scans are off (one
// left in a plan is one no index can replace) and that parallel workers cost nothing (a plan
// that would go parallel on a large database does here). Then, with the tables'
// parallel_workers setting of migration 0011 reset, the address query of an identity page
// must go parallel: the check can fail.
func TestPostgresHotQueryPlans(t *testing.T) {
	s := openPostgresTest(t)
	fillForPlans(t, s.wdb)
	qs := hotQueries(t, s, fillFixture)
	if len(qs) < 15 {
		t.Fatalf("recorded only %d statements", len(qs))
	}
	for q, bad := range explainAll(t, s.wdb, qs, strictPlanner) {
		t.Errorf("%v in the plan of\n%s", bad, q)
	}

	// The batched deletes (cleanup's expired sessions and flows, an identity's sessions) with
	// the planner's own choices at PostgreSQL's default page costs: as "id IN (SELECT … LIMIT
	// n)" the planner hashed the batch's ids against a sequential scan of the whole table at
	// this size, once per batch.
	var deletes []recorded
	for _, r := range qs {
		if strings.HasPrefix(strings.TrimSpace(r.query), "DELETE") && strings.Contains(r.query, " LIMIT ") {
			deletes = append(deletes, r)
		}
	}
	if len(deletes) < 3 {
		t.Fatalf("recorded %d batched deletes, want the expired sessions', the expired flows' and an identity's sessions'", len(deletes))
	}
	for q, bad := range explainAll(t, s.wdb, deletes, defaultCosts) {
		t.Errorf("%v in the plan (planner's own choice, default page costs) of\n%s", bad, q)
	}
	// Each batch goes back to the rows its ordered pick read by their addresses: by id, every
	// row cost a descent of the primary key (2.3-2.4x the buffers read on the 1M-identity bench
	// schema).
	for _, r := range deletes {
		if scan := deletedThrough(t, s.wdb, r); scan != "Tid Scan" {
			t.Errorf("the batch's rows are found by a %s, not by their addresses (Tid Scan), in\n%s", scan, r.query)
		}
	}

	// A self-service account deletion's code deletes find the codes by identity and by the
	// identity's addresses through indexes (migration 0022): ORed in one statement, or without
	// the address index, they scanned the whole table.
	var codes []recorded
	for _, r := range qs {
		if strings.HasPrefix(strings.TrimSpace(r.query), "DELETE FROM one_time_codes") {
			codes = append(codes, r)
		}
	}
	if len(codes) == 0 {
		t.Fatal("recorded no delete of one-time codes")
	}
	largeTables["one_time_codes"] = true
	defer delete(largeTables, "one_time_codes")
	for q, bad := range explainAll(t, s.wdb, codes, strictPlanner) {
		t.Errorf("%v in the plan of\n%s", bad, q)
	}
	delete(largeTables, "one_time_codes")

	var addresses []recorded
	for _, r := range qs {
		if strings.Contains(r.query, "FROM identity_verifiable_addresses") {
			addresses = append(addresses, r)
		}
	}
	if len(addresses) == 0 {
		t.Fatal("no address query recorded")
	}
	for _, tbl := range []string{"identity_verifiable_addresses", "identity_recovery_addresses"} {
		if _, err := s.wdb.Exec("ALTER TABLE " + tbl + " RESET (parallel_workers)"); err != nil {
			t.Fatal(err)
		}
	}
	if bad := explainAll(t, s.wdb, addresses, strictPlanner); len(bad) == 0 {
		t.Error("without parallel_workers = 0 the address query still has no parallel plan: the check above proves nothing")
	}
}

// TestPostgresHotQueryPlansAtScale is TestPostgresHotQueryPlans on a database bench/scale
// built (1M identities and 10M sessions in bench/results/scale-2026-12-06-b.md), with the
// planner's own settings: PORTICO_TEST_POSTGRES_SCALE_DSN is a DSN whose search_path is the
// bench's scale_large schema. The test changes that database as the hot operations do (a
// session is created, sessions revoked, the identity deleted): each run takes the first even
// identity from 42 on that is still there and whose flow is live.
func TestPostgresHotQueryPlansAtScale(t *testing.T) {
	dsn := os.Getenv("PORTICO_TEST_POSTGRES_SCALE_DSN")
	if dsn == "" {
		t.Skip("PORTICO_TEST_POSTGRES_SCALE_DSN is not set")
	}
	s, err := Open(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	var sessions int64
	if err := s.rdb.QueryRow("SELECT reltuples::bigint FROM pg_class WHERE relname = 'sessions' AND relnamespace = current_schema()::regnamespace").Scan(&sessions); err != nil {
		t.Fatal(err)
	}
	t.Logf("sessions (planner's estimate): %d", sessions)
	k := 42
	for ; ; k += 2 {
		var n int
		if err := s.rdb.QueryRow("SELECT COUNT(*) FROM identities WHERE id = " + scaleFixture(k).identity).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n == 1 && k%6 != 4 { // every k ≡ 4 (mod 6) has an expired flow
			break
		}
	}
	qs := hotQueries(t, s, scaleFixture(k))
	if len(qs) < 15 {
		t.Fatalf("recorded only %d statements", len(qs))
	}
	for q, bad := range explainAll(t, s.wdb, qs, nil) {
		t.Errorf("%v in the plan of\n%s", bad, q)
	}
	t.Logf("%d statements explained", len(qs))
}

// TestPostgresKeysetPagesStartAtTheToken reads a page from the middle of each newest-first
// list (all sessions, courier messages, an identity's audit events) and EXPLAIN ANALYZEs the
// statement: the scan must start at the page token, so the rows it reads and throws away stay
// under a page whatever the depth. With the keyset condition alone ("t < ? OR (t = ? AND id
// < ?)") PostgreSQL walked the index from the newest row and filtered out every row of the
// pages before.
func TestPostgresKeysetPagesStartAtTheToken(t *testing.T) {
	s := openPostgresTest(t)
	fillForPlans(t, s.wdb)
	ctx := context.Background()
	for _, q := range []string{
		`INSERT INTO courier_messages (id, type, channel, recipient, template_type, status, payload, available_at, created_at, updated_at)
			SELECT md5('m' || n)::uuid, 'email', 'email', 'user' || n || '@example.org', 'verification_code', 'sent', '{}',
				now(), now() - (n || ' seconds')::interval, now() FROM generate_series(1, 20000) n`,
		`INSERT INTO audit_events (id, identity_id, type, address, user_agent, details, created_at)
			SELECT md5('e' || n)::uuid, md5('i' || 42)::uuid, 'sign_in', '192.0.2.1', 'test', '{}',
				now() - (n || ' seconds')::interval FROM generate_series(1, 5000) n`,
		"ANALYZE",
	} {
		if _, err := s.wdb.ExecContext(ctx, q); err != nil {
			t.Fatalf("%v\n%s", err, q)
		}
	}
	middle := func(q string) string {
		var at time.Time
		if err := s.rdb.QueryRowContext(ctx, q).Scan(&at); err != nil {
			t.Fatal(err)
		}
		return timeIDToken(at, uuid.Max)
	}
	var ident uuid.UUID
	if err := s.rdb.QueryRowContext(ctx, "SELECT md5('i' || 42)::uuid").Scan(&ident); err != nil {
		t.Fatal(err)
	}
	var pages []recorded
	s.record = func(query string, args []any) {
		if strings.Contains(query, " < ? OR ") || strings.Contains(query, " < $") {
			pages = append(pages, recorded{query, append([]any(nil), args...)})
		}
	}
	_, _, err := s.ListSessions(ctx, uuid.Nil, nil, store.ListParams{PageSize: 250,
		PageToken: middle("SELECT issued_at FROM sessions ORDER BY issued_at DESC LIMIT 1 OFFSET 50000")})
	if err != nil {
		t.Fatal(err)
	}
	_, _, err = s.ListMessages(ctx, store.MessageFilter{}, store.ListParams{PageSize: 250,
		PageToken: middle("SELECT created_at FROM courier_messages ORDER BY created_at DESC LIMIT 1 OFFSET 10000")})
	if err != nil {
		t.Fatal(err)
	}
	_, _, err = s.ListEvents(ctx, ident, store.ListParams{PageSize: 250,
		PageToken: eventTokenPrefix + middle("SELECT created_at FROM audit_events ORDER BY created_at DESC LIMIT 1 OFFSET 2500")})
	if err != nil {
		t.Fatal(err)
	}
	s.record = nil
	var keyset []recorded
	for _, p := range pages {
		if strings.Contains(p.query, "ORDER BY") && strings.Contains(p.query, "DESC") && len(p.args) >= 3 {
			keyset = append(keyset, p)
		}
	}
	if len(keyset) != 3 {
		t.Fatalf("recorded %d keyset pages, want 3: %v", len(keyset), keyset)
	}
	for _, p := range keyset {
		var raw string
		if err := s.rdb.QueryRowContext(ctx, "EXPLAIN (ANALYZE, FORMAT JSON) "+p.query, p.args...).Scan(&raw); err != nil {
			t.Fatalf("explain: %v\n%s", err, p.query)
		}
		var plan []map[string]any
		if err := json.Unmarshal([]byte(raw), &plan); err != nil {
			t.Fatal(err)
		}
		removed := 0.0
		var walk func(n map[string]any)
		walk = func(n map[string]any) {
			r, _ := n["Rows Removed by Filter"].(float64)
			removed += r
			kids, _ := n["Plans"].([]any)
			for _, k := range kids {
				if m, ok := k.(map[string]any); ok {
					walk(m)
				}
			}
		}
		walk(plan[0]["Plan"].(map[string]any))
		if removed > 251 {
			t.Errorf("a page from the middle read and dropped %.0f rows:\n%s\n%s", removed, p.query, raw)
		}
	}
}
