package kratosimport

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"sort"
	"strconv"
	"strings"

	"github.com/go-sql-driver/mysql"
	_ "github.com/jackc/pgx/v5/stdlib" // the "pgx" driver
	_ "modernc.org/sqlite"             // the "sqlite" driver
)

// Source is a Kratos database opened for reading.
type Source struct {
	db      *sql.DB
	dialect string // "sqlite", "postgres" or "mysql"
	// NID is the Kratos network whose rows are read (every Kratos row carries one).
	NID string
	// Migration is the newest migration applied to the database.
	Migration string
	// Unknown lists the columns of a newer Kratos that are not read (only when allowed).
	Unknown *UnknownColumnsError
}

// OpenOptions choose what Open accepts.
type OpenOptions struct {
	// NID selects the Kratos network when the database holds more than one.
	NID string
	// AllowUnknownColumns reads a database with columns this importer does not know (a newer
	// Kratos): what they hold is not imported, and the report says which they are.
	AllowUnknownColumns bool
}

// newestKnownMigration is the newest Kratos migration this importer was written against (the
// fixture in testdata: Kratos master after v26.2.0). A newer database is read all the same
// when its columns are the known ones (checkColumns decides).
const newestKnownMigration = "20260703000000000000"

// kratosParams are Kratos's (pop's) DSN settings, which no driver knows.
var kratosParams = []string{"max_conns", "max_idle_conns", "max_conn_lifetime", "max_conn_idle_time", "_fk", "mode"}

// Open opens the Kratos database named by dsn as Kratos's own configuration writes it
// (sqlite://PATH?…, postgres://…, mysql://user:pass@tcp(host:port)/db?…), read-only where the
// driver allows it.
func Open(ctx context.Context, dsn string, opts OpenOptions) (*Source, error) {
	scheme, rest, ok := strings.Cut(dsn, "://")
	if !ok {
		return nil, errors.New("kratos dsn: expected a URL such as sqlite://, postgres:// or mysql://")
	}
	s := &Source{}
	var err error
	switch strings.ToLower(scheme) {
	case "sqlite", "sqlite3":
		s.dialect = "sqlite"
		path, _, _ := strings.Cut(rest, "?")
		if path == "" || strings.Contains(path, ":memory:") {
			return nil, errors.New("kratos dsn: an in-memory SQLite database holds nothing to import")
		}
		s.db, err = sql.Open("sqlite", "file:"+path+"?mode=ro&_pragma=busy_timeout(10000)")
	case "postgres", "postgresql":
		s.dialect = "postgres"
		u, perr := url.Parse(dsn)
		if perr != nil {
			// url errors repeat the URL, password included: say only what is wrong.
			return nil, errors.New("kratos dsn: not a valid URL")
		}
		q := u.Query()
		for _, p := range kratosParams {
			q.Del(p)
		}
		u.RawQuery = q.Encode()
		s.db, err = sql.Open("pgx", u.String())
	case "mysql":
		s.dialect = "mysql"
		// The settings start at the first "?" after the last "/", where the driver looks for
		// them: a password may hold "?" (and "@", ":" or "/").
		addr, query := rest, ""
		if i := strings.LastIndexByte(rest, '/'); i >= 0 {
			if j := strings.IndexByte(rest[i:], '?'); j >= 0 {
				addr, query = rest[:i+j], rest[i+j+1:]
			}
		}
		q, _ := url.ParseQuery(query)
		for _, p := range kratosParams {
			q.Del(p)
		}
		raw := addr
		if enc := q.Encode(); enc != "" {
			raw += "?" + enc
		}
		cfg, perr := mysql.ParseDSN(raw)
		if perr != nil {
			return nil, errors.New("kratos dsn: expected mysql://user:password@tcp(host:port)/database")
		}
		// Times are read as times whatever the DSN says, in the zone of its loc= (UTC when
		// absent): Kratos wrote its DATETIME columns through this same DSN, so in that zone.
		cfg.ParseTime = true
		conn, cerr := mysql.NewConnector(cfg)
		if cerr != nil {
			return nil, errors.New("kratos dsn: invalid mysql dsn")
		}
		s.db = sql.OpenDB(conn)
	default:
		return nil, fmt.Errorf("kratos dsn: unknown scheme %q (use sqlite://, postgres:// or mysql://)", scheme)
	}
	if err != nil {
		return nil, fmt.Errorf("open kratos database: %w", err)
	}
	s.db.SetMaxOpenConns(4)
	if err := s.db.PingContext(ctx); err != nil {
		_ = s.db.Close()
		return nil, fmt.Errorf("connect to the kratos database: %w", err)
	}
	if err := s.inspect(ctx, opts.NID); err != nil {
		var unknown *UnknownColumnsError
		if !opts.AllowUnknownColumns || !errors.As(err, &unknown) {
			_ = s.db.Close()
			return nil, err
		}
		s.Unknown = unknown
		if err := s.readNetwork(ctx, opts.NID); err != nil {
			_ = s.db.Close()
			return nil, err
		}
	}
	return s, nil
}

// Close releases the connections.
func (s *Source) Close() error { return s.db.Close() }

// bind rewrites "?" placeholders for PostgreSQL.
func (s *Source) bind(q string) string {
	if s.dialect != "postgres" {
		return q
	}
	var b strings.Builder
	n := 0
	for _, r := range q {
		if r == '?' {
			n++
			b.WriteString("$" + strconv.Itoa(n))
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

func (s *Source) query(ctx context.Context, q string, args ...any) (*sql.Rows, error) {
	return s.db.QueryContext(ctx, s.bind(q), args...)
}

// inspect checks that this is a Kratos database this importer can read: the migration it is
// at, the network, and the columns of every table read.
func (s *Source) inspect(ctx context.Context, nid string) error {
	err := s.db.QueryRowContext(ctx, "SELECT MAX(version) FROM schema_migration").Scan(&s.Migration)
	if err != nil {
		return fmt.Errorf("this does not look like a Kratos database (no schema_migration table readable: %v)", err)
	}
	if err := s.checkColumns(ctx); err != nil {
		return err
	}
	return s.readNetwork(ctx, nid)
}

// readNetwork sets NID: the one given, or the database's only network.
func (s *Source) readNetwork(ctx context.Context, nid string) error {
	rows, err := s.query(ctx, "SELECT id FROM networks ORDER BY created_at")
	if err != nil {
		return fmt.Errorf("read kratos networks: %w", err)
	}
	defer rows.Close()
	var nids []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return fmt.Errorf("read kratos networks: %w", err)
		}
		nids = append(nids, strings.ToLower(id))
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("read kratos networks: %w", err)
	}
	switch {
	case nid != "":
		for _, n := range nids {
			if n == strings.ToLower(nid) {
				s.NID = n
				return nil
			}
		}
		return fmt.Errorf("the kratos database has no network %s (it has: %s)", nid, strings.Join(nids, ", "))
	case len(nids) == 1:
		s.NID = nids[0]
		return nil
	case len(nids) == 0:
		return errors.New("the kratos database has no network: nothing was ever written to it")
	}
	return fmt.Errorf("the kratos database holds %d networks (%s): choose one with --nid", len(nids), strings.Join(nids, ", "))
}

// knownColumns are the columns of each table read, as Kratos has them at newestKnownMigration;
// required are the ones the importer cannot do without.
var knownColumns = map[string]struct{ known, required []string }{
	"identities": {
		known: []string{"id", "schema_id", "traits", "created_at", "updated_at", "nid", "state", "state_changed_at",
			"metadata_public", "metadata_admin", "available_aal", "organization_id", "external_id"},
		required: []string{"id", "schema_id", "traits", "created_at", "updated_at", "nid", "state", "state_changed_at",
			"metadata_public", "metadata_admin", "organization_id", "external_id"},
	},
	"identity_credentials": {
		known:    []string{"id", "config", "identity_credential_type_id", "identity_id", "created_at", "updated_at", "nid", "version"},
		required: []string{"id", "config", "identity_credential_type_id", "identity_id", "created_at", "updated_at", "nid", "version"},
	},
	"identity_credential_types": {
		known:    []string{"id", "name"},
		required: []string{"id", "name"},
	},
	"identity_credential_identifiers": {
		known: []string{"id", "identifier", "identity_credential_id", "created_at", "updated_at", "nid",
			"identity_credential_type_id", "identity_id"},
		required: []string{"identifier", "identity_credential_id", "nid", "identity_id"},
	},
	"identity_verifiable_addresses": {
		known:    []string{"id", "status", "via", "verified", "value", "verified_at", "identity_id", "created_at", "updated_at", "nid"},
		required: []string{"id", "status", "via", "verified", "value", "verified_at", "identity_id", "created_at", "updated_at", "nid"},
	},
	"identity_recovery_addresses": {
		known:    []string{"id", "via", "value", "identity_id", "created_at", "updated_at", "nid", "break_glass_for_organization"},
		required: []string{"id", "via", "value", "identity_id", "created_at", "updated_at", "nid"},
	},
	"sessions": {
		known: []string{"id", "issued_at", "expires_at", "authenticated_at", "identity_id", "created_at", "updated_at",
			"token", "active", "nid", "logout_token", "aal", "authentication_methods"},
		required: []string{"id", "issued_at", "expires_at", "authenticated_at", "identity_id", "token", "active", "nid",
			"aal", "authentication_methods"},
	},
	"session_devices": {
		known:    []string{"id", "identity_id", "ip_address", "user_agent", "location", "nid", "session_id", "created_at", "updated_at"},
		required: []string{"id", "ip_address", "user_agent", "location", "nid", "session_id"},
	},
	"networks": {known: []string{"id", "created_at", "updated_at"}, required: []string{"id", "created_at"}},
}

// UnknownColumnsError lists columns a newer Kratos added to tables the importer reads: what
// they hold would not be imported.
type UnknownColumnsError struct {
	Migration string
	Columns   map[string][]string // table → columns
}

func (e *UnknownColumnsError) Error() string {
	var parts []string
	for _, t := range sortedKeys(e.Columns) {
		parts = append(parts, t+" ("+strings.Join(e.Columns[t], ", ")+")")
	}
	newer := ""
	if e.Migration > newestKnownMigration {
		newer = fmt.Sprintf(", written by a newer Kratos (migration %s; this importer knows up to %s)", e.Migration, newestKnownMigration)
	}
	return fmt.Sprintf("the kratos database has columns this importer does not know%s: %s. What they hold would not be imported; run again with --allow-unknown-columns to import everything else",
		newer, strings.Join(parts, "; "))
}

// checkColumns compares each table's columns with knownColumns: a missing required column
// means a Kratos too old (or not Kratos), an unknown one a newer Kratos.
func (s *Source) checkColumns(ctx context.Context) error {
	unknown := map[string][]string{}
	for _, table := range sortedKeys(knownColumns) {
		spec := knownColumns[table]
		rows, err := s.db.QueryContext(ctx, "SELECT * FROM "+table+" WHERE 1 = 0")
		if err != nil {
			return fmt.Errorf("the kratos database has no readable table %s (is it a Kratos database, migrated with `kratos migrate sql`?): %v", table, err)
		}
		cols, err := rows.Columns()
		_ = rows.Close()
		if err != nil {
			return fmt.Errorf("read the columns of %s: %w", table, err)
		}
		have := map[string]bool{}
		for _, c := range cols {
			have[strings.ToLower(c)] = true
		}
		var missing []string
		for _, c := range spec.required {
			if !have[c] {
				missing = append(missing, c)
			}
		}
		if len(missing) > 0 {
			return fmt.Errorf("the kratos database's table %s lacks %s: it was written by an older Kratos (migration %s); upgrade it with `kratos migrate sql` of Kratos v1.1 or later first",
				table, strings.Join(missing, ", "), s.Migration)
		}
		known := map[string]bool{}
		for _, c := range spec.known {
			known[c] = true
		}
		for _, c := range cols {
			if !known[strings.ToLower(c)] {
				unknown[table] = append(unknown[table], strings.ToLower(c))
			}
		}
	}
	if len(unknown) > 0 {
		return &UnknownColumnsError{Migration: s.Migration, Columns: unknown}
	}
	return nil
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
