package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/portico-auth/portico/internal/store/migrations"
)

// MigrationState is one migration and whether it has been applied.
type MigrationState struct {
	Name      string
	Applied   bool
	AppliedAt time.Time // zero when not applied
}

// migrationsTableDDL creates the table recording applied migrations.
var migrationsTableDDL = map[string]string{
	"sqlite":   "CREATE TABLE IF NOT EXISTS schema_migrations (name TEXT PRIMARY KEY NOT NULL, applied_at TEXT NOT NULL)",
	"postgres": "CREATE TABLE IF NOT EXISTS schema_migrations (name TEXT PRIMARY KEY NOT NULL, applied_at TIMESTAMPTZ NOT NULL)",
	"mysql":    "CREATE TABLE IF NOT EXISTS schema_migrations (name VARCHAR(255) PRIMARY KEY NOT NULL, applied_at DATETIME(6) NOT NULL) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin",
}

// migrationsTableExists tells whether any migration was ever recorded here; reading the
// status must not create the table (a status check may run on a read-only replica, or while
// another process creates it).
var migrationsTableExists = map[string]string{
	"sqlite":   "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'",
	"postgres": "SELECT COUNT(*) FROM pg_catalog.pg_tables WHERE schemaname = current_schema() AND tablename = 'schema_migrations'",
	"mysql":    "SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = DATABASE() AND table_name = 'schema_migrations'",
}

// appliedMigrations returns the applied migrations by name; none when the table is missing.
func (s *Store) appliedMigrations(ctx context.Context) (map[string]time.Time, error) {
	var n int
	if err := s.reader().row(ctx, migrationsTableExists[s.d.name]).Scan(&n); err != nil {
		return nil, mapErr(err, "look for schema_migrations")
	}
	if n == 0 {
		return map[string]time.Time{}, nil
	}
	return s.appliedOn(ctx, s.reader())
}

func (s *Store) appliedOn(ctx context.Context, x q) (map[string]time.Time, error) {
	rows, err := x.query(ctx, "SELECT name, applied_at FROM schema_migrations")
	if err != nil {
		return nil, mapErr(err, "list applied migrations")
	}
	defer rows.Close()
	applied := map[string]time.Time{}
	for rows.Next() {
		var (
			name string
			at   timeCol
		)
		if err := rows.Scan(&name, &at); err != nil {
			return nil, mapErr(err, "list applied migrations")
		}
		applied[name] = at.T
	}
	if err := rows.Err(); err != nil {
		return nil, mapErr(err, "list applied migrations")
	}
	return applied, nil
}

// MigrationStatus lists every migration of this dialect, in order, with whether it is applied.
func (s *Store) MigrationStatus(ctx context.Context) ([]MigrationState, error) {
	all, err := migrations.For(s.d.name)
	if err != nil {
		return nil, err
	}
	applied, err := s.appliedMigrations(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]MigrationState, 0, len(all))
	for _, m := range all {
		at, ok := applied[m.Name]
		out = append(out, MigrationState{Name: m.Name, Applied: ok, AppliedAt: at})
	}
	return out, nil
}

// PendingMigrations counts the migrations not applied yet; serve refuses to start unless it is 0.
func (s *Store) PendingMigrations(ctx context.Context) (int, error) {
	st, err := s.MigrationStatus(ctx)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, m := range st {
		if !m.Applied {
			n++
		}
	}
	return n, nil
}

// DefaultMigrationLockTimeout is how long a migration waits for another one to finish.
const DefaultMigrationLockTimeout = 5 * time.Minute

// ErrMigrationRunning is returned when another process kept the migration lock for longer
// than the lock timeout.
var ErrMigrationRunning = errors.New("another migration is running")

// MigrateOptions tunes Migrate. The zero value is MigrateUp's behaviour.
type MigrateOptions struct {
	// Progress, when set, is called with each migration's name before it is applied.
	Progress func(name string)
	// Waiting, when set, is called when another migration holds the lock, and again every
	// WaitReportEvery while it still does, with the time waited so far.
	Waiting func(waited time.Duration)
	// LockTimeout bounds the wait for another migration (DefaultMigrationLockTimeout when 0).
	LockTimeout time.Duration
}

// WaitReportEvery is how often Migrate reports that it is still waiting for the lock.
const WaitReportEvery = 10 * time.Second

// lockPoll is how often a waiting migration tries the lock again.
const lockPoll = 100 * time.Millisecond

// MigrateUp applies every pending migration in order, calling progress (if not nil) with each
// name before applying it. See Migrate.
func (s *Store) MigrateUp(ctx context.Context, progress func(name string)) error {
	return s.Migrate(ctx, MigrateOptions{Progress: progress})
}

// Migrate applies every pending migration in order under a database-wide lock, so that two
// processes migrating one database at once (two `migrate up`, N `serve --dev`) never both run
// the same DDL: the second waits for the first, then finds nothing left to do, or gives up
// with ErrMigrationRunning after LockTimeout. The lock dies with the process holding it:
// PostgreSQL's session-level advisory lock (per schema), MySQL's GET_LOCK (per database) and,
// on SQLite, the write lock of one BEGIN IMMEDIATE transaction that applies every migration.
//
// On SQLite and PostgreSQL each migration is atomic (SQLite applies all of them in one
// transaction); MySQL commits DDL implicitly, so there a failed migration may leave part of
// itself behind.
func (s *Store) Migrate(ctx context.Context, o MigrateOptions) error {
	all, err := migrations.For(s.d.name)
	if err != nil {
		return err
	}
	if o.LockTimeout <= 0 {
		o.LockTimeout = DefaultMigrationLockTimeout
	}
	// One connection holds the lock and runs every statement, so the lock cannot wait for a
	// connection of a pool it has exhausted (SQLite's writer pool has exactly one).
	conn, err := s.wdb.Conn(ctx)
	if err != nil {
		return mapErr(err, "connect to migrate")
	}
	defer conn.Close()
	if s.d.name == "sqlite" {
		return s.migrateSQLite(ctx, conn, all, o)
	}
	unlock, err := s.lockServer(ctx, conn, o)
	if err != nil {
		return err
	}
	defer unlock()
	x := q{d: s.d, db: conn}
	pending, err := s.pendingOn(ctx, x, all)
	if err != nil {
		return err
	}
	for _, m := range pending {
		if o.Progress != nil {
			o.Progress(m.Name)
		}
		if s.d.name == "mysql" {
			err = s.applyMigration(ctx, x, m)
		} else {
			err = inConnTx(ctx, conn, func(tx *sql.Tx) error { return s.applyMigration(ctx, q{d: s.d, db: tx}, m) })
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// migrateSQLite applies the pending migrations in one write transaction: BEGIN IMMEDIATE
// takes SQLite's only write lock, so the transaction is the migration lock.
func (s *Store) migrateSQLite(ctx context.Context, conn *sql.Conn, all []migrations.Migration, o MigrateOptions) error {
	// Without a busy timeout BEGIN IMMEDIATE fails at once while another writer holds the
	// lock, so the wait below can report and be bounded; the timeout is restored for the
	// migration itself and for the connection's later users.
	var busy int
	if err := conn.QueryRowContext(ctx, "PRAGMA busy_timeout").Scan(&busy); err != nil {
		return mapErr(err, "read busy timeout")
	}
	if _, err := conn.ExecContext(ctx, "PRAGMA busy_timeout = 0"); err != nil {
		return mapErr(err, "set busy timeout")
	}
	restore := func() {
		_, _ = conn.ExecContext(context.WithoutCancel(ctx), fmt.Sprintf("PRAGMA busy_timeout = %d", busy))
	}
	var tx *sql.Tx
	err := waitForLock(ctx, o, func() (bool, error) {
		t, err := conn.BeginTx(ctx, nil)
		if err != nil {
			if isSQLiteBusy(err) {
				return false, nil
			}
			return false, mapErr(err, "begin migration")
		}
		tx = t
		return true, nil
	})
	restore()
	if err != nil {
		return err
	}
	x := q{d: s.d, db: tx}
	pending, err := s.pendingOn(ctx, x, all)
	if err == nil {
		for _, m := range pending {
			if o.Progress != nil {
				o.Progress(m.Name)
			}
			if err = s.applyMigration(ctx, x, m); err != nil {
				break
			}
		}
	}
	if err != nil {
		_ = tx.Rollback()
		return err
	}
	if err := tx.Commit(); err != nil {
		return mapErr(err, "commit migrations")
	}
	return nil
}

// pendingOn creates the bookkeeping table if needed and returns the migrations not applied.
func (s *Store) pendingOn(ctx context.Context, x q, all []migrations.Migration) ([]migrations.Migration, error) {
	if _, err := x.db.ExecContext(ctx, migrationsTableDDL[s.d.name]); err != nil {
		return nil, mapErr(err, "create schema_migrations table")
	}
	applied, err := s.appliedOn(ctx, x)
	if err != nil {
		return nil, err
	}
	var out []migrations.Migration
	for _, m := range all {
		if _, ok := applied[m.Name]; !ok {
			out = append(out, m)
		}
	}
	return out, nil
}

// migrationLockKey is the first half of PostgreSQL's two-key advisory lock ("port"); the second
// is the schema, so that databases and schemas migrate independently.
const migrationLockKey = 0x706f7274

// lockServer takes PostgreSQL's or MySQL's migration lock on conn and returns its release.
func (s *Store) lockServer(ctx context.Context, conn *sql.Conn, o MigrateOptions) (func(), error) {
	var lock, unlock string
	switch s.d.name {
	case "postgres":
		lock = fmt.Sprintf("SELECT pg_try_advisory_lock(%d, hashtext(coalesce(current_schema(), '')))", migrationLockKey)
		unlock = fmt.Sprintf("SELECT pg_advisory_unlock(%d, hashtext(coalesce(current_schema(), '')))", migrationLockKey)
	case "mysql":
		// GET_LOCK names are server-wide and at most 64 characters: name the database by hash.
		name := "CONCAT('portico-migrate-', SHA1(COALESCE(DATABASE(), '')))"
		lock = "SELECT GET_LOCK(" + name + ", 0)"
		unlock = "SELECT RELEASE_LOCK(" + name + ")"
	default:
		return nil, fmt.Errorf("no migration lock for dialect %q", s.d.name)
	}
	err := waitForLock(ctx, o, func() (bool, error) {
		var got sql.NullBool
		if err := conn.QueryRowContext(ctx, lock).Scan(&got); err != nil {
			return false, mapErr(err, "take the migration lock")
		}
		return got.Valid && got.Bool, nil
	})
	if err != nil {
		return nil, err
	}
	return func() {
		// Closing the connection would release it too; say so explicitly while it is open.
		_, _ = conn.ExecContext(context.WithoutCancel(ctx), unlock)
	}, nil
}

// waitForLock calls try until it takes the lock, reporting the wait through o.Waiting and
// giving up with ErrMigrationRunning after o.LockTimeout.
func waitForLock(ctx context.Context, o MigrateOptions, try func() (bool, error)) error {
	start := time.Now()
	var reported time.Duration = -1
	for {
		ok, err := try()
		if err != nil || ok {
			return err
		}
		waited := time.Since(start)
		if waited >= o.LockTimeout {
			return fmt.Errorf("%w: gave up after %s (it holds the migration lock; try again when it has finished)", ErrMigrationRunning, o.LockTimeout.Round(time.Second))
		}
		if o.Waiting != nil && (reported < 0 || waited-reported >= WaitReportEvery) {
			o.Waiting(waited)
			reported = waited
		}
		t := time.NewTimer(lockPoll)
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-t.C:
		}
	}
}

func inConnTx(ctx context.Context, conn *sql.Conn, fn func(tx *sql.Tx) error) error {
	tx, err := conn.BeginTx(ctx, nil)
	if err != nil {
		return mapErr(err, "begin transaction")
	}
	if err := fn(tx); err != nil {
		_ = tx.Rollback()
		return err
	}
	if err := tx.Commit(); err != nil {
		return mapErr(err, "commit transaction")
	}
	return nil
}

func isSQLiteBusy(err error) bool {
	var e interface{ Code() int }
	return errors.As(err, &e) && (e.Code()&0xff == sqliteBusy || e.Code()&0xff == sqliteLocked)
}

func (s *Store) applyMigration(ctx context.Context, x q, m migrations.Migration) error {
	for i, stmt := range m.Statements {
		if _, err := x.db.ExecContext(ctx, stmt); err != nil {
			return fmt.Errorf("apply migration %s (statement %d): %w", m.Name, i+1, mapErr(err, "exec"))
		}
	}
	if _, err := x.exec(ctx, "INSERT INTO schema_migrations (name, applied_at) VALUES (?, ?)", m.Name, s.d.time(s.now())); err != nil {
		return mapErr(err, "record migration "+m.Name)
	}
	return nil
}

// migrationNames lists the migration names of a dialect.
func migrationNames(dialect string) ([]string, error) {
	all, err := migrations.For(dialect)
	if err != nil {
		return nil, err
	}
	names := make([]string, len(all))
	for i, m := range all {
		names[i] = m.Name
	}
	return names, nil
}
