package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// sqliteDefaultPragmas size every SQLite file connection. Each is applied only when the DSN
// does not set the same pragma itself (`_pragma=cache_size(-8000)` wins over the default).
//
//   - cache_size: 500 KiB of page cache per connection (SQLite's own default is 2,000 KiB).
//     Every connection (four readers and the writer on two cores) keeps its own copy of the
//     pages it read, so 32 MiB each made a small, busy database cost 73-84 MB of peak RSS in
//     bench/run.sh against 51 MB with 2,000 KiB, and 500 KiB took another ~6 MB off the MFA
//     bench's peak (issue 13) for about 3 more reads from the OS's file cache per request
//     (4.5 → 7.8 read syscalls). The caches help less than their size suggests: in WAL mode a
//     reader drops its whole cache when another connection wrote since its last transaction,
//     and settings flows write on every request; a session read touches the session and
//     identity rows only (the identity's relations are remembered, see relationCache).
//   - no mmap_size: SQLite's default, no memory map, whatever the file's size. With a map, a
//     reader connection whose next read transaction finds the file changed (any write by the
//     writer) unmaps and remaps it, and every page it then touches faults in again: on a
//     600 MB file with whoami and session extends mixed, munmap was 18% and the page faults
//     in btreeInitPage 48% of the CPU, 1,090-1,350 us a request against 225 us without the
//     map (5x); read-only whoami was no faster with it either (150-191 us against 100-127).
//     A DSN that wants the map sets it (`_pragma=mmap_size(…)`).
//   - journal_size_limit: a WAL that has been reset is truncated back to 64 MiB, so one burst of
//     writes does not leave a large file behind for good.
var sqliteDefaultPragmas = []struct{ name, value string }{
	{"cache_size", "-500"},
	{"journal_size_limit", "67108864"},
}

// sqliteOwnParams are DSN parameters Portico reads itself and removes before the DSN reaches
// the driver.
var sqliteOwnParams = []string{"wal_max_size", "wal_check_interval"}

// walPolicy is when the WAL is checkpointed and truncated from outside a request (see
// walKeeper).
type walPolicy struct {
	// maxSize is the bound the WAL is kept under (a truncating checkpoint starts at half of
	// it, see trigger); 0 turns the keeper off.
	maxSize int64
	// interval is how often the WAL's size is looked at.
	interval time.Duration
}

// trigger is the WAL size past which the keeper checkpoints: half the bound.
func (p walPolicy) trigger() int64 { return p.maxSize / 2 }

// defaultWALPolicy keeps the WAL under 64 MiB, looked at ten times a second: a stat of one
// file, nothing more, when the WAL is small.
var defaultWALPolicy = walPolicy{maxSize: 64 << 20, interval: 100 * time.Millisecond}

// sqliteTuning adds the default pragmas the query does not set and reads (and removes)
// Portico's own WAL parameters.
func sqliteTuning(q url.Values) (walPolicy, error) {
	given := map[string]bool{}
	for _, p := range q["_pragma"] {
		given[pragmaName(p)] = true
	}
	for _, p := range sqliteDefaultPragmas {
		if !given[p.name] {
			q.Add("_pragma", p.name+"("+p.value+")")
		}
	}
	pol := defaultWALPolicy
	if v := q.Get("wal_max_size"); v != "" {
		n, err := parseBytes(v)
		if err != nil {
			return pol, fmt.Errorf("invalid sqlite dsn: wal_max_size: %w", err)
		}
		pol.maxSize = n
	}
	if v := q.Get("wal_check_interval"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d <= 0 {
			return pol, fmt.Errorf("invalid sqlite dsn: wal_check_interval %q is not a positive duration", v)
		}
		pol.interval = d
	}
	for _, p := range sqliteOwnParams {
		q.Del(p)
	}
	return pol, nil
}

// pragmaName is the lower-case name of a `_pragma` value such as "cache_size(-2000)" or
// "mmap_size = 0".
func pragmaName(p string) string {
	if i := strings.IndexAny(p, "(="); i >= 0 {
		p = p[:i]
	}
	return strings.ToLower(strings.TrimSpace(p))
}

// parseBytes reads a size: a number of bytes, optionally with a KB, MB or GB suffix (powers
// of 1024). 0 is allowed (it turns the keeper off).
func parseBytes(v string) (int64, error) {
	s := strings.ToUpper(strings.TrimSpace(v))
	mult := int64(1)
	for _, u := range []struct {
		suffix string
		mult   int64
	}{{"KB", 1 << 10}, {"MB", 1 << 20}, {"GB", 1 << 30}, {"B", 1}} {
		if strings.HasSuffix(s, u.suffix) {
			s, mult = strings.TrimSpace(strings.TrimSuffix(s, u.suffix)), u.mult
			break
		}
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n < 0 || n > (1<<50)/mult {
		return 0, fmt.Errorf("%q is not a size (bytes, or a number with KB, MB or GB)", v)
	}
	return n * mult, nil
}

// incrementalVacuumNew gives a new, empty SQLite file incremental auto-vacuum, so that space
// freed by cleanup can be handed back to the file system a little at a time (ReclaimSpace).
// The mode is fixed when the first table is created, so a file that already has tables keeps
// its mode (`VACUUM` offline after `PRAGMA auto_vacuum = INCREMENTAL` converts one). It runs
// on the writer connection only: the pragma opens a write transaction, which on every reader
// connection would compete with the writer. A DSN that sets _auto_vacuum keeps its choice.
func incrementalVacuumNew(ctx context.Context, w *sql.DB, q url.Values) error {
	if q.Get("_auto_vacuum") != "" || q.Get("_vacuum") != "" {
		return nil
	}
	conn, err := w.Conn(ctx)
	if err != nil {
		return mapErr(err, "open sqlite database")
	}
	defer conn.Close()
	var tables, mode int
	err = conn.QueryRowContext(ctx, "SELECT COUNT(*) FROM sqlite_master").Scan(&tables)
	if err == nil {
		err = conn.QueryRowContext(ctx, "PRAGMA auto_vacuum").Scan(&mode)
	}
	if isSQLiteBusy(err) {
		// Another process is setting the new file up (its VACUUM or `migrate up` holds the
		// lock): this best-effort step is its business, not ours.
		return nil
	}
	if err != nil {
		return mapErr(err, "open sqlite database")
	}
	if tables > 0 || mode == 2 {
		return nil
	}
	// The WAL header already fixed page 1, so the new mode takes effect through a VACUUM,
	// instant on an empty file. It is best effort and never waits: another process holding
	// the write lock is creating the tables already (a concurrent `migrate up`), and the file
	// then simply keeps SQLite's default mode.
	if _, err := conn.ExecContext(ctx, "PRAGMA busy_timeout = 0"); err != nil {
		return mapErr(err, "open sqlite database")
	}
	if _, err := conn.ExecContext(ctx, "PRAGMA auto_vacuum = INCREMENTAL"); err == nil {
		_, _ = conn.ExecContext(ctx, "VACUUM")
	}
	if _, err := conn.ExecContext(ctx, "PRAGMA busy_timeout = "+strconv.Itoa(writerBusyTimeout)); err != nil {
		return mapErr(err, "open sqlite database")
	}
	return nil
}

// reclaimStep is how many free pages one incremental_vacuum statement gives back: 4 MiB
// with 4 KiB pages, a short hold of the write lock.
const reclaimStep = 1024

// ReclaimSpace hands up to maxPages free pages back to the file system, reclaimStep pages per
// write so that other writers get the lock in between, and returns how many it freed. SQLite
// reuses free pages for new rows anyway; this shrinks the file after a large cleanup. It does
// nothing on a file without incremental auto-vacuum, in memory, or on PostgreSQL and MySQL,
// which manage their own space (see README, Operations).
func (s *Store) ReclaimSpace(ctx context.Context, maxPages int) (int, error) {
	if s.d.name != "sqlite" || s.rdb == s.wdb { // rdb == wdb: in memory
		return 0, nil
	}
	var mode int
	if err := s.wdb.QueryRowContext(ctx, "PRAGMA auto_vacuum").Scan(&mode); err != nil {
		return 0, mapErr(err, "read auto_vacuum")
	}
	if mode != 2 {
		return 0, nil
	}
	freed := 0
	for freed < maxPages {
		if err := ctx.Err(); err != nil {
			return freed, err
		}
		var free int
		if err := s.wdb.QueryRowContext(ctx, "PRAGMA freelist_count").Scan(&free); err != nil {
			return freed, mapErr(err, "count free pages")
		}
		n := min(free, reclaimStep, maxPages-freed)
		if n == 0 {
			break
		}
		if _, err := s.wdb.ExecContext(ctx, "PRAGMA incremental_vacuum("+strconv.Itoa(n)+")"); err != nil {
			return freed, mapErr(err, "incremental vacuum")
		}
		freed += n
	}
	return freed, nil
}

// SingleWriter reports whether the database takes one writer at a time (SQLite), so that
// long maintenance work (cleanup) leaves room for requests between its batches.
func (s *Store) SingleWriter() bool { return s.d.name == "sqlite" }

// rest waits d (or until ctx ends): the pause a long job on a single-writer database takes
// between two writes, so that requests get the writer in between.
func rest(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return mapErr(ctx.Err(), "wait between batches")
	case <-t.C:
		return nil
	}
}
