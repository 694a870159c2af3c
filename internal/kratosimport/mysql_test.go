package kratosimport_test

import (
	"database/sql"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
	_ "time/tzdata"

	"github.com/go-sql-driver/mysql"

	"github.com/portico-auth/portico/internal/testdb"
)

// TestImportKratosMySQL imports the Kratos fixture from MySQL/MariaDB into SQLite. No Kratos
// MySQL dump exists, so the fixture is moved there: the tables the importer reads are created in
// a throw-away database with Kratos's MySQL column types (testdata/kratos-mysql.sql) and every
// row of the SQLite fixture's same tables is copied in. The --from DSN is written as Kratos's
// configuration writes it, with pop's settings the driver does not know, for a user who may
// only read (SELECT) and whose password holds the DSN's separators.
func TestImportKratosMySQL(t *testing.T) {
	t.Parallel()
	from, _ := mysqlSource(t, time.UTC)
	importAndSignIn(t, readOnlyUser(t, from, "k?r/a@t:os"), readFixture(t, "fixture-sqlite.json"), "")
}

// readOnlyUser creates a MySQL user (dropped when the test ends) who may only SELECT in the
// database of dsn, and returns dsn as that user.
func readOnlyUser(t *testing.T, dsn, password string) string {
	t.Helper()
	addr, params, _ := strings.Cut(strings.TrimPrefix(dsn, "mysql://"), "?")
	cfg, err := mysql.ParseDSN(addr)
	if err != nil {
		t.Fatal(err)
	}
	admin, err := sql.Open("mysql", cfg.FormatDSN())
	if err != nil {
		t.Fatal(err)
	}
	user := "kratos_ro_" + strings.TrimPrefix(cfg.DBName, "portico_t_")
	for _, stmt := range []string{"CREATE USER '" + user + "'@'%' IDENTIFIED BY '" + password + "'",
		"GRANT SELECT ON " + cfg.DBName + ".* TO '" + user + "'@'%'"} {
		if _, err := admin.Exec(stmt); err != nil {
			t.Fatalf("%s: %v", stmt, err)
		}
	}
	t.Cleanup(func() {
		_, _ = admin.Exec("DROP USER '" + user + "'@'%'")
		_ = admin.Close()
	})
	cfg.User, cfg.Passwd = user, password
	return "mysql://" + cfg.FormatDSN() + "?" + params
}

// TestImportKratosMySQLTimes: a Kratos whose DSN names a time zone (loc=) wrote its DATETIME
// columns as wall clocks of that zone; the importer reads them with the same DSN, so every time
// Portico shows (identity, address and session times) is the instant Kratos had, to the
// microsecond MySQL keeps. Reading them as UTC moved each by the zone's offset.
func TestImportKratosMySQLTimes(t *testing.T) {
	t.Parallel()
	berlin, err := time.LoadLocation("Europe/Berlin") // time/tzdata: found without the system's zone files
	if err != nil {
		t.Fatal(err)
	}
	from, fixtureDB := mysqlSource(t, berlin)
	s := portico(t, "")
	if rep := run(t, s, from, nil); rep.Identities.Imported != 15 || rep.Sessions.Imported != 8 {
		t.Fatalf("imported %+v %+v", rep.Identities, rep.Sessions)
	}
	c := s.Native(t)
	checked := 0
	same := func(what string, got string, want any) {
		t.Helper()
		g, err := time.Parse(time.RFC3339Nano, got)
		w, _ := want.(time.Time)
		if err != nil || w.IsZero() {
			t.Errorf("%s: %q, want %v (%v)", what, got, want, err)
			return
		}
		if d := g.Sub(w); d < -time.Microsecond || d > time.Microsecond {
			t.Errorf("%s: %s, Kratos had %s (off by %s)", what, g.UTC().Format(time.RFC3339Nano), w.Format(time.RFC3339Nano), d)
		}
		checked++
	}
	for _, row := range fixtureRows(t, fixtureDB, "SELECT id, created_at, updated_at, state_changed_at FROM identities") {
		res := c.Get(s.AdminURL("/admin/identities/" + row[0].(string)))
		var got struct {
			CreatedAt      string `json:"created_at"`
			UpdatedAt      string `json:"updated_at"`
			StateChangedAt string `json:"state_changed_at"`
		}
		res.JSON(t, &got)
		same(row[0].(string)+" created_at", got.CreatedAt, fixtureTime(t, row[1]))
		same(row[0].(string)+" updated_at", got.UpdatedAt, fixtureTime(t, row[2]))
		same(row[0].(string)+" state_changed_at", got.StateChangedAt, fixtureTime(t, row[3]))
	}
	for _, row := range fixtureRows(t, fixtureDB, "SELECT identity_id, verified_at FROM identity_verifiable_addresses WHERE verified_at IS NOT NULL") {
		res := c.Get(s.AdminURL("/admin/identities/" + row[0].(string)))
		var got struct {
			VerifiableAddresses []struct {
				VerifiedAt string `json:"verified_at"`
			} `json:"verifiable_addresses"`
		}
		res.JSON(t, &got)
		if len(got.VerifiableAddresses) != 1 {
			t.Fatalf("%s: addresses %s", row[0], res.Body)
		}
		same(row[0].(string)+" verified_at", got.VerifiableAddresses[0].VerifiedAt, fixtureTime(t, row[1]))
	}
	for _, row := range fixtureRows(t, fixtureDB, "SELECT token, issued_at, expires_at, authenticated_at FROM sessions WHERE active = 1") {
		res := whoami(t, s, row[0].(string))
		var got struct {
			IssuedAt        string `json:"issued_at"`
			ExpiresAt       string `json:"expires_at"`
			AuthenticatedAt string `json:"authenticated_at"`
		}
		res.JSON(t, &got)
		same("session issued_at", got.IssuedAt, fixtureTime(t, row[1]))
		same("session expires_at", got.ExpiresAt, fixtureTime(t, row[2]))
		same("session authenticated_at", got.AuthenticatedAt, fixtureTime(t, row[3]))
	}
	if checked != 15*3+2+8*3 {
		t.Errorf("%d times compared, want %d", checked, 15*3+2+8*3)
	}
}

// fixtureRows reads the rows of q in the SQLite fixture (at least one).
func fixtureRows(t *testing.T, db *sql.DB, q string) [][]any {
	t.Helper()
	rows, err := db.Query(q)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	cols, _ := rows.Columns()
	var out [][]any
	for rows.Next() {
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			t.Fatal(err)
		}
		out = append(out, vals)
	}
	if err := rows.Err(); err != nil || len(out) == 0 {
		t.Fatalf("%s: %d rows (%v)", q, len(out), err)
	}
	return out
}

// kratosMySQLTables are the tables of testdata/kratos-mysql.sql, parents before children.
var kratosMySQLTables = []string{"schema_migration", "networks", "identity_credential_types", "identities",
	"identity_credentials", "identity_credential_identifiers", "identity_verifiable_addresses",
	"identity_recovery_addresses", "sessions", "session_devices"}

// mysqlSource creates Kratos's tables in a throw-away MySQL/MariaDB database (dropped when the
// test ends), copies the SQLite fixture's rows into them as a Kratos with loc= would write them
// (wall clocks of loc), and returns the database's mysql:// DSN with Kratos's extra settings, and
// the SQLite fixture (open until the test ends). Skipped without PORTICO_TEST_MYSQL_DSN unless
// CI=true.
func mysqlSource(t *testing.T, loc *time.Location) (string, *sql.DB) {
	t.Helper()
	dsn := testdb.MySQLDatabase(t, testdb.ServerDSN(t, testdb.MySQLEnv))
	cfg, err := mysql.ParseDSN(strings.TrimPrefix(dsn, "mysql://"))
	if err != nil {
		t.Fatal(err)
	}
	cfg.MultiStatements, cfg.Loc = true, loc
	dst, err := sql.Open("mysql", cfg.FormatDSN())
	if err != nil {
		t.Fatal(err)
	}
	defer dst.Close()
	ddl, err := os.ReadFile(filepath.Join("testdata", "kratos-mysql.sql"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := dst.Exec(string(ddl)); err != nil {
		t.Fatalf("create kratos tables: %v", err)
	}
	path, _, _ := strings.Cut(strings.TrimPrefix(sqliteSource(t), "sqlite://"), "?")
	src, err := sql.Open("sqlite", "file:"+path+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = src.Close() })
	for _, table := range kratosMySQLTables {
		copyTable(t, src, dst, cfg.DBName, table)
	}
	sep := "?"
	if strings.Contains(dsn, "?") {
		sep = "&"
	}
	params := "max_conns=20&max_idle_conns=4&parseTime=true"
	if loc != time.UTC {
		params += "&loc=" + url.QueryEscape(loc.String())
	}
	return dsn + sep + params, src
}

// copyTable copies every row of table from the SQLite fixture into the MySQL table of the same
// name, column by column as MySQL has them; SQLite's time texts become times.
func copyTable(t *testing.T, src, dst *sql.DB, db, table string) {
	t.Helper()
	rows, err := dst.Query(`SELECT column_name, data_type FROM information_schema.columns
		WHERE table_schema = ? AND table_name = ? ORDER BY ordinal_position`, db, table)
	if err != nil {
		t.Fatal(err)
	}
	var cols []string
	isTime := map[int]bool{}
	for rows.Next() {
		var name, typ string
		if err := rows.Scan(&name, &typ); err != nil {
			t.Fatal(err)
		}
		isTime[len(cols)] = typ == "datetime" || typ == "timestamp"
		cols = append(cols, name)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	_ = rows.Close()
	list := strings.Join(cols, ", ")
	insert := "INSERT INTO " + table + " (" + list + ") VALUES (" + strings.TrimSuffix(strings.Repeat("?, ", len(cols)), ", ") + ")"
	n := 0
	for _, vals := range fixtureRows(t, src, "SELECT "+list+" FROM "+table) {
		for i, v := range vals {
			if isTime[i] {
				vals[i] = fixtureTime(t, v)
			}
		}
		if _, err := dst.Exec(insert, vals...); err != nil {
			t.Fatalf("copy %s: %v", table, err)
		}
		n++
	}
	var copied int
	if err := dst.QueryRow("SELECT COUNT(*) FROM " + table).Scan(&copied); err != nil || copied != n || n == 0 {
		t.Fatalf("%s: %d rows in the fixture, %d in MySQL (%v)", table, n, copied, err)
	}
}

// fixtureTime is a time of the SQLite fixture (a time.Time or Kratos's text) as a UTC time.
func fixtureTime(t *testing.T, v any) any {
	t.Helper()
	var s string
	switch x := v.(type) {
	case nil:
		return nil
	case time.Time:
		return x.UTC()
	case string:
		s = x
	case []byte:
		s = string(x)
	default:
		t.Fatalf("fixture time of type %T", v)
	}
	for _, layout := range []string{"2006-01-02 15:04:05.999999999-07:00", time.RFC3339Nano, "2006-01-02 15:04:05.999999999"} {
		if tm, err := time.Parse(layout, s); err == nil {
			return tm.UTC()
		}
	}
	t.Fatalf("fixture time %q", s)
	return nil
}
