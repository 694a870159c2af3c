package sqlstore

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestSQLiteTuning: a SQLite file gets the default page cache and journal size limit and no
// memory map unless its DSN sets them, and Portico's WAL parameters are read and refused when
// bad.
func TestSQLiteTuning(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name, params string
		want         map[string]int64
		keeper       bool
	}{
		{"defaults", "", map[string]int64{"cache_size": -500, "mmap_size": 0, "journal_size_limit": 64 << 20, "auto_vacuum": 2}, true},
		{"the DSN's own", "_pragma=cache_size(-1000)&_pragma=MMAP_SIZE%20=%200&wal_max_size=0&_auto_vacuum=none",
			map[string]int64{"cache_size": -1000, "mmap_size": 0, "journal_size_limit": 64 << 20, "auto_vacuum": 0}, false},
		{"a map the DSN asks for", "_pragma=mmap_size(1048576)", map[string]int64{"cache_size": -500, "mmap_size": 1 << 20}, true},
		{"wal size with a unit", "wal_max_size=16MB&wal_check_interval=2s", map[string]int64{"cache_size": -500}, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := openMigrated(t, "sqlite://"+filepath.Join(t.TempDir(), "db.sqlite")+"?"+tc.params)
			for name, want := range tc.want {
				for _, pool := range []struct {
					name string
					q    q
				}{{"reader", s.reader()}, {"writer", s.writer()}} {
					var got int64
					if err := pool.q.db.QueryRowContext(ctx, "PRAGMA "+name).Scan(&got); err != nil {
						t.Fatal(err)
					}
					if got != want {
						t.Errorf("%s connection: %s = %d, want %d", pool.name, name, got, want)
					}
				}
			}
			if (s.wal != nil) != tc.keeper {
				t.Errorf("WAL keeper running = %v, want %v", s.wal != nil, tc.keeper)
			}
		})
	}
	// A large file gets no memory map either (the file is extended sparsely past 256 MiB,
	// where an earlier default turned a 1 GiB map on).
	path := filepath.Join(t.TempDir(), "large.sqlite")
	if err := openMigrated(t, "sqlite://"+path).Close(); err != nil {
		t.Fatal(err)
	}
	if err := os.Truncate(path, 300<<20); err != nil {
		t.Fatal(err)
	}
	large := openMigrated(t, "sqlite://"+path)
	var mmap int64
	if err := large.reader().db.QueryRowContext(ctx, "PRAGMA mmap_size").Scan(&mmap); err != nil || mmap != 0 {
		t.Errorf("a 300 MiB file: mmap_size %d (%v), want 0", mmap, err)
	}
	if s := openMigrated(t, "sqlite://"+filepath.Join(t.TempDir(), "db.sqlite")+"?wal_max_size=16MB&wal_check_interval=2s"); s.wal.policy != (walPolicy{maxSize: 16 << 20, interval: 2e9}) {
		t.Errorf("policy %+v", s.wal.policy)
	}
	for _, bad := range []string{"wal_max_size=lots", "wal_max_size=-1", "wal_check_interval=0s", "wal_check_interval=soon"} {
		_, err := Open(ctx, "sqlite://"+filepath.Join(t.TempDir(), "db.sqlite")+"?"+bad)
		if err == nil || !strings.Contains(err.Error(), "invalid sqlite dsn") {
			t.Errorf("%s: error %v", bad, err)
		}
	}
}
