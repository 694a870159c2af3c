package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"

	"github.com/portico-auth/portico/internal/store/migrations"
)

// migrateRacers is how many processes (stores with pools of their own) migrate one fresh
// database at once.
const migrateRacers = 12

// raceMigrations migrates the fresh database at dsn from migrateRacers stores at once: every
// one must succeed, and every migration must be applied exactly once.
func raceMigrations(t *testing.T, dsn string) {
	t.Helper()
	ctx := context.Background()
	stores := make([]*Store, migrateRacers)
	for i := range stores {
		s, err := Open(ctx, dsn)
		if err != nil {
			t.Fatalf("open: %v", err)
		}
		t.Cleanup(func() { _ = s.Close() })
		stores[i] = s
	}
	var (
		mu      sync.Mutex
		applied = map[string]int{}
		wg      sync.WaitGroup
		start   = make(chan struct{})
		errs    = make([]error, len(stores))
	)
	for i, s := range stores {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			errs[i] = s.Migrate(ctx, MigrateOptions{Progress: func(name string) {
				mu.Lock()
				applied[name]++
				mu.Unlock()
			}})
		}()
	}
	close(start)
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("migration %d: %v", i, err)
		}
	}
	all, err := migrations.For(stores[0].d.name)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range all {
		if applied[m.Name] != 1 {
			t.Errorf("%s applied %d times", m.Name, applied[m.Name])
		}
	}
	var rows int
	if err := stores[0].wdb.QueryRowContext(ctx, "SELECT COUNT(*) FROM schema_migrations").Scan(&rows); err != nil || rows != len(all) {
		t.Errorf("schema_migrations holds %d rows (%v), want %d", rows, err, len(all))
	}
	if n, err := stores[migrateRacers-1].PendingMigrations(ctx); err != nil || n != 0 {
		t.Errorf("pending after the race: %d %v", n, err)
	}
}

// lockTimesOut holds the migration lock through holder, checks that a migration gives up with
// ErrMigrationRunning after reporting its wait, then releases it and migrates.
func lockTimesOut(t *testing.T, dsn string, hold func(*Store) (release func())) {
	t.Helper()
	ctx := context.Background()
	holder, err := Open(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = holder.Close() })
	waiter, err := Open(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = waiter.Close() })
	release := hold(holder)
	waits := 0
	start := time.Now()
	err = waiter.Migrate(ctx, MigrateOptions{
		LockTimeout: 700 * time.Millisecond,
		Waiting:     func(time.Duration) { waits++ },
		Progress:    func(name string) { t.Errorf("applied %s while another migration held the lock", name) },
	})
	if !errors.Is(err, ErrMigrationRunning) || !strings.Contains(err.Error(), "another migration is running") {
		t.Fatalf("got %v, want ErrMigrationRunning", err)
	}
	if waits != 1 || time.Since(start) < 700*time.Millisecond {
		t.Fatalf("reported the wait %d times, gave up after %s", waits, time.Since(start))
	}
	release()
	if err := waiter.Migrate(ctx, MigrateOptions{LockTimeout: 5 * time.Second}); err != nil {
		t.Fatalf("after the lock was released: %v", err)
	}
}

// holdServerLock takes the PostgreSQL/MySQL migration lock as a migration would.
func holdServerLock(t *testing.T) func(*Store) func() {
	return func(s *Store) func() {
		ctx := context.Background()
		conn, err := s.wdb.Conn(ctx)
		if err != nil {
			t.Fatal(err)
		}
		unlock, err := s.lockServer(ctx, conn, MigrateOptions{LockTimeout: time.Second})
		if err != nil {
			t.Fatal(err)
		}
		return func() { unlock(); _ = conn.Close() }
	}
}

func TestMigrationsRaceSQLite(t *testing.T) {
	raceMigrations(t, "sqlite://"+filepath.Join(t.TempDir(), "race.db"))
}

func TestMigrationLockSQLite(t *testing.T) {
	lockTimesOut(t, "sqlite://"+filepath.Join(t.TempDir(), "lock.db"), func(s *Store) func() {
		// Another writer inside a transaction: what a migration in progress looks like.
		tx, err := s.wdb.BeginTx(context.Background(), nil)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := tx.Exec("CREATE TABLE held (x INTEGER)"); err != nil {
			t.Fatal(err)
		}
		return func() { _ = tx.Rollback() }
	})
}

func TestMigrationsRacePostgres(t *testing.T) {
	raceMigrations(t, freshPostgresDSN(t))
	lockTimesOut(t, freshPostgresDSN(t), holdServerLock(t))
}

func TestMigrationsRaceMySQL(t *testing.T) {
	dsn := serverDSN(t, "PORTICO_TEST_MYSQL_DSN")
	cfg, err := mysql.ParseDSN(strings.TrimPrefix(dsn, "mysql://"))
	if err != nil {
		t.Fatal(err)
	}
	admin, err := sql.Open("mysql", cfg.FormatDSN())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = admin.Close() })
	fresh := func() string {
		db := "portico_t_" + randomName()
		if _, err := admin.Exec("CREATE DATABASE " + db + " CHARACTER SET utf8mb4 COLLATE utf8mb4_bin"); err != nil {
			t.Fatalf("create database: %v", err)
		}
		t.Cleanup(func() { _, _ = admin.Exec("DROP DATABASE " + db) })
		c := cfg.Clone()
		c.DBName = db
		return "mysql://" + c.FormatDSN()
	}
	raceMigrations(t, fresh())
	lockTimesOut(t, fresh(), holdServerLock(t))
}

// TestMigrationStatusOnlyReads: reading the status of a fresh database (serve's start check,
// `migrate status`) creates nothing, so it works on a read-only replica and cannot race a
// migration creating the bookkeeping table.
func TestMigrationStatusOnlyReads(t *testing.T) {
	ctx := context.Background()
	s, err := Open(ctx, "sqlite://"+filepath.Join(t.TempDir(), "status.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, err := s.wdb.Exec("PRAGMA query_only = 1"); err != nil {
		t.Fatal(err)
	}
	all, _ := migrations.For("sqlite")
	if n, err := s.PendingMigrations(ctx); err != nil || n != len(all) {
		t.Fatalf("pending on a fresh read-only database: %d %v", n, err)
	}
	var tables int
	if err := s.rdb.QueryRow("SELECT COUNT(*) FROM sqlite_master").Scan(&tables); err != nil || tables != 0 {
		t.Fatalf("the status check created %d tables (%v)", tables, err)
	}
}
