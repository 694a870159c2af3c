package sqlstore

import (
	"context"
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

func (s *Store) ensureMigrationsTable(ctx context.Context) error {
	ddl := map[string]string{
		"sqlite":   "CREATE TABLE IF NOT EXISTS schema_migrations (name TEXT PRIMARY KEY NOT NULL, applied_at TEXT NOT NULL)",
		"postgres": "CREATE TABLE IF NOT EXISTS schema_migrations (name TEXT PRIMARY KEY NOT NULL, applied_at TIMESTAMPTZ NOT NULL)",
		"mysql":    "CREATE TABLE IF NOT EXISTS schema_migrations (name VARCHAR(255) PRIMARY KEY NOT NULL, applied_at DATETIME(6) NOT NULL) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin",
	}[s.d.name]
	if _, err := s.wdb.ExecContext(ctx, ddl); err != nil {
		return mapErr(err, "create schema_migrations table")
	}
	return nil
}

func (s *Store) appliedMigrations(ctx context.Context) (map[string]time.Time, error) {
	rows, err := s.writer().query(ctx, "SELECT name, applied_at FROM schema_migrations")
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
	if err := s.ensureMigrationsTable(ctx); err != nil {
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

// MigrateUp applies every pending migration in order, calling progress (if not nil) with each
// name before applying it. On SQLite and PostgreSQL each migration runs in one transaction;
// MySQL commits DDL implicitly, so there a failed migration may leave part of itself behind.
func (s *Store) MigrateUp(ctx context.Context, progress func(name string)) error {
	all, err := migrations.For(s.d.name)
	if err != nil {
		return err
	}
	if err := s.ensureMigrationsTable(ctx); err != nil {
		return err
	}
	applied, err := s.appliedMigrations(ctx)
	if err != nil {
		return err
	}
	for _, m := range all {
		if _, ok := applied[m.Name]; ok {
			continue
		}
		if progress != nil {
			progress(m.Name)
		}
		if err := s.applyMigration(ctx, m); err != nil {
			return err
		}
	}
	return nil
}

func (s *Store) applyMigration(ctx context.Context, m migrations.Migration) error {
	run := func(x q) error {
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
	if s.d.name == "mysql" {
		return run(s.writer())
	}
	return s.tryTx(ctx, run)
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
