package sqlstore

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/portico-auth/portico/internal/apierr"
)

func TestOpenRejectsBadDSN(t *testing.T) {
	tests := []struct {
		name, dsn, want string
	}{
		{"no scheme", "just-a-path.db", "invalid dsn"},
		{"unknown scheme", "oracle://scott:tiger@db/x", `unknown scheme "oracle"`},
		{"cockroach", "cockroach://root:s3cret@host/db", `scheme "cockroach" is not supported`},
		{"bad mysql", "mysql://root:s3cret@nonsense", "invalid mysql dsn"},
		{"bad postgres", "postgres://user:s3cret@host:port-not-a-number/db", "invalid postgres dsn"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Open(context.Background(), tc.dsn)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error = %v, want it to mention %q", err, tc.want)
			}
			if strings.Contains(err.Error(), "s3cret") || strings.Contains(err.Error(), "tiger") {
				t.Errorf("error leaks the password: %v", err)
			}
		})
	}
}

func TestOpenUnreachableIsUnavailable(t *testing.T) {
	tests := []struct{ name, dsn string }{
		{"postgres", "postgres://postgres:s3cret@127.0.0.1:1/portico?sslmode=disable&connect_timeout=2"},
		{"mysql", "mysql://root:s3cret@tcp(127.0.0.1:1)/portico?timeout=2s"},
		{"sqlite in a missing directory", "sqlite://" + filepath.Join(t.TempDir(), "missing", "dir", "db.sqlite")},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			_, err := Open(ctx, tc.dsn)
			if !errors.Is(err, apierr.ErrUnavailable) {
				t.Fatalf("error = %v, want ErrUnavailable", err)
			}
			e := apierr.From(err)
			if strings.Contains(e.Reason, "127.0.0.1") || strings.Contains(e.Message+e.Reason, "s3cret") || strings.Contains(e.Reason, "refused") {
				t.Errorf("driver detail reaches users: %q / %q", e.Message, e.Reason)
			}
		})
	}
}

func TestMigrations(t *testing.T) {
	ctx := context.Background()
	s, err := Open(ctx, "sqlite://"+filepath.Join(t.TempDir(), "db.sqlite"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	n, err := s.PendingMigrations(ctx)
	if err != nil || n == 0 {
		t.Fatalf("pending = %d, %v; want > 0 on a new database", n, err)
	}
	var applied []string
	if err := s.MigrateUp(ctx, func(name string) { applied = append(applied, name) }); err != nil {
		t.Fatal(err)
	}
	if len(applied) != n || applied[0] != "0001_initial" {
		t.Errorf("applied %v, want %d migrations starting with 0001_initial", applied, n)
	}
	if err := s.MigrateUp(ctx, func(name string) { t.Errorf("applied %s twice", name) }); err != nil {
		t.Fatal(err)
	}
	st, err := s.MigrationStatus(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range st {
		if !m.Applied || m.AppliedAt.IsZero() || m.AppliedAt.Location() != time.UTC {
			t.Errorf("status %+v", m)
		}
	}
	if n, err := s.PendingMigrations(ctx); err != nil || n != 0 {
		t.Errorf("pending after migrate = %d, %v", n, err)
	}
}

func TestEveryDialectHasTheSameMigrations(t *testing.T) {
	names := map[string][]string{}
	for _, d := range []dialect{dialectSQLite, dialectPostgres, dialectMySQL} {
		ms, err := migrationNames(d.name)
		if err != nil {
			t.Fatal(err)
		}
		names[d.name] = ms
	}
	if strings.Join(names["sqlite"], ",") != strings.Join(names["postgres"], ",") ||
		strings.Join(names["sqlite"], ",") != strings.Join(names["mysql"], ",") {
		t.Errorf("migrations differ between dialects: %v", names)
	}
}

func TestRebind(t *testing.T) {
	if got := dialectPostgres.rebind("a = ? AND b IN (?, ?)"); got != "a = $1 AND b IN ($2, $3)" {
		t.Errorf("rebind = %q", got)
	}
	if got := dialectMySQL.rebind("a = ?"); got != "a = ?" {
		t.Errorf("rebind = %q", got)
	}
}

// TestSQLiteConcurrentWritersAndReaders hammers a file database from many goroutines: with the
// single writer connection nothing may fail with SQLITE_BUSY.
func TestSQLiteConcurrentWritersAndReaders(t *testing.T) {
	s := openMigrated(t, "sqlite://"+filepath.Join(t.TempDir(), "db.sqlite"))
	ctx := context.Background()
	errs := make(chan error, 64)
	for i := 0; i < 32; i++ {
		go func() {
			key := randomName()
			_, err := s.PutValueIfAbsent(ctx, key, "v")
			if err == nil {
				_, err = s.GetValue(ctx, key)
			}
			errs <- err
		}()
	}
	for i := 0; i < 32; i++ {
		if err := <-errs; err != nil {
			t.Error(err)
		}
	}
}
