package sqlstore

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/go-sql-driver/mysql"
	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" driver
	_ "modernc.org/sqlite"             // registers the "sqlite" driver
)

// sqliteParams are set on every SQLite connection: WAL so readers never wait for the writer,
// foreign keys for ON DELETE CASCADE, and a busy timeout as a last resort (the single writer
// connection makes lock contention rare).
const sqliteParams = "_pragma=foreign_keys(1)&_pragma=busy_timeout(10000)&_pragma=synchronous(NORMAL)"

// poolParams are Kratos's (pop's) pool settings, accepted in any DSN and removed before the
// DSN reaches the driver.
var poolParams = []string{"max_conns", "max_idle_conns", "max_conn_lifetime", "max_conn_idle_time"}

// Open connects to the database named by dsn, as Kratos writes it:
//
//	memory                                   a private in-memory SQLite database
//	sqlite://file::memory:?…                 the same
//	sqlite:///var/lib/portico/db.sqlite?…    a SQLite file (also sqlite3://)
//	postgres://user:pass@host:5432/db?…      PostgreSQL (also postgresql://)
//	mysql://user:pass@tcp(host:3306)/db?…    MySQL or MariaDB
//
// It checks that the database answers (apierr.ErrUnavailable when not) but does not migrate.
func Open(ctx context.Context, dsn string) (*Store, error) {
	scheme, rest, ok := strings.Cut(dsn, "://")
	if dsn == "memory" {
		scheme, ok = "memory", true
	}
	if !ok {
		return nil, errors.New("invalid dsn: expected \"memory\" or a URL such as sqlite://, postgres:// or mysql://")
	}
	var (
		s   *Store
		err error
	)
	switch strings.ToLower(scheme) {
	case "memory":
		s, err = openSQLiteMemory()
	case "sqlite", "sqlite3":
		path, query, _ := strings.Cut(rest, "?")
		if path == "" || path == ":memory:" || strings.HasPrefix(path, "file::memory:") {
			s, err = openSQLiteMemory()
		} else {
			s, err = openSQLiteFile(ctx, path, query)
		}
	case "postgres", "postgresql":
		s, err = openPostgres(dsn)
	case "mysql":
		s, err = openMySQL(rest)
	case "cockroach", "cockroachdb", "crdb":
		return nil, fmt.Errorf("invalid dsn: scheme %q is not supported (use postgres://, mysql:// or sqlite://)", scheme)
	default:
		return nil, fmt.Errorf("invalid dsn: unknown scheme %q (use memory, sqlite://, postgres:// or mysql://)", scheme)
	}
	if err != nil {
		return nil, err
	}
	if err := s.Ping(ctx); err != nil {
		_ = s.Close()
		return nil, fmt.Errorf("connect to %s database: %w", s.d.name, err)
	}
	return s, nil
}

func randomName() string {
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// openSQLiteMemory opens a private in-memory database through ONE connection used for reads
// and writes alike: an in-memory database lives as long as a connection to it, and one
// connection cannot meet a lock, so concurrent callers queue instead of failing.
func openSQLiteMemory() (*Store, error) {
	dsn := "file:portico-" + randomName() + "?mode=memory&cache=shared&" + sqliteParams
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, fmt.Errorf("open in-memory sqlite database: %w", err)
	}
	keepOne(db)
	return newStore(dialectSQLite, db, db), nil
}

// openSQLiteFile opens a SQLite file through two pools: several readers, and one writer that
// begins every transaction with BEGIN IMMEDIATE. SQLite allows one writer at a time anyway;
// queueing writers in the pool instead of in SQLite means they never see SQLITE_BUSY and never
// deadlock upgrading a read lock.
func openSQLiteFile(ctx context.Context, path, query string) (*Store, error) {
	q, err := url.ParseQuery(query)
	if err != nil {
		return nil, fmt.Errorf("invalid sqlite dsn query: %w", err)
	}
	maxConns := 0
	if v := q.Get("max_conns"); v != "" {
		maxConns, _ = strconv.Atoi(v)
	}
	for _, p := range poolParams {
		q.Del(p)
	}
	q.Del("_txlock")
	q.Del("_journal_mode")
	q.Del("_journal")
	wal, err := sqliteTuning(q)
	if err != nil {
		return nil, err
	}
	base := "file:" + path + "?" + sqliteParams + "&_pragma=journal_mode(WAL)"
	if enc := q.Encode(); enc != "" {
		base += "&" + enc
	}
	w, err := sql.Open("sqlite", base+"&_txlock=immediate")
	if err != nil {
		return nil, fmt.Errorf("open sqlite database: %w", err)
	}
	keepOne(w)
	r, err := sql.Open("sqlite", base)
	if err != nil {
		_ = w.Close()
		return nil, fmt.Errorf("open sqlite database: %w", err)
	}
	if maxConns <= 0 {
		maxConns = max(4, 2*runtime.NumCPU())
	}
	r.SetMaxOpenConns(maxConns)
	r.SetMaxIdleConns(maxConns)
	if err := incrementalVacuumNew(ctx, w, q); err != nil {
		_ = r.Close()
		_ = w.Close()
		return nil, err
	}
	s := newStore(dialectSQLite, r, w)
	if wal.maxSize > 0 {
		s.wal = startWALKeeper(w, path, wal)
	}
	return s, nil
}

func keepOne(db *sql.DB) {
	db.SetMaxOpenConns(1)
	db.SetMaxIdleConns(1)
	db.SetConnMaxLifetime(0)
	db.SetConnMaxIdleTime(0)
}

// applyPoolParams applies Kratos's pool settings from q (and removes them).
func applyPoolParams(db *sql.DB, get func(string) string) {
	if n, err := strconv.Atoi(get("max_conns")); err == nil && n > 0 {
		db.SetMaxOpenConns(n)
	}
	if n, err := strconv.Atoi(get("max_idle_conns")); err == nil && n >= 0 {
		db.SetMaxIdleConns(n)
	}
	if d, err := time.ParseDuration(get("max_conn_lifetime")); err == nil {
		db.SetConnMaxLifetime(d)
	}
	if d, err := time.ParseDuration(get("max_conn_idle_time")); err == nil {
		db.SetConnMaxIdleTime(d)
	}
}

func openPostgres(dsn string) (*Store, error) {
	u, err := url.Parse(dsn)
	if err != nil {
		// url errors repeat the URL, password included: say only what is wrong.
		return nil, errors.New("invalid postgres dsn: not a valid URL")
	}
	q := u.Query()
	vals := map[string]string{}
	for _, p := range poolParams {
		vals[p] = q.Get(p)
		q.Del(p)
	}
	u.RawQuery = q.Encode()
	db, err := sql.Open("pgx", u.String())
	if err != nil {
		return nil, errors.New("invalid postgres dsn")
	}
	db.SetMaxOpenConns(max(8, 4*runtime.NumCPU()))
	db.SetMaxIdleConns(max(8, 4*runtime.NumCPU()))
	db.SetConnMaxIdleTime(5 * time.Minute)
	applyPoolParams(db, func(k string) string { return vals[k] })
	return newStore(dialectPostgres, db, db), nil
}

func openMySQL(rest string) (*Store, error) {
	addr, query, _ := strings.Cut(rest, "?")
	q, err := url.ParseQuery(query)
	if err != nil {
		return nil, errors.New("invalid mysql dsn: malformed query")
	}
	vals := map[string]string{}
	for _, p := range poolParams {
		vals[p] = q.Get(p)
		q.Del(p)
	}
	raw := addr
	if enc := q.Encode(); enc != "" {
		raw += "?" + enc
	}
	cfg, err := mysql.ParseDSN(raw)
	if err != nil {
		return nil, errors.New("invalid mysql dsn: expected mysql://user:password@tcp(host:port)/database")
	}
	cfg.ParseTime = true
	cfg.Loc = time.UTC
	// Affected rows count matched rows, so "update a row to what it already is" is not
	// mistaken for "no such row".
	cfg.ClientFoundRows = true
	if cfg.Params == nil {
		cfg.Params = map[string]string{}
	}
	cfg.Params["time_zone"] = "'+00:00'"
	cfg.Collation = "utf8mb4_bin"
	conn, err := mysql.NewConnector(cfg)
	if err != nil {
		return nil, errors.New("invalid mysql dsn")
	}
	db := sql.OpenDB(conn)
	db.SetMaxOpenConns(max(8, 4*runtime.NumCPU()))
	db.SetMaxIdleConns(max(8, 4*runtime.NumCPU()))
	db.SetConnMaxLifetime(time.Hour)
	applyPoolParams(db, func(k string) string { return vals[k] })
	return newStore(dialectMySQL, db, db), nil
}
