// Command scale measures how Portico's storage hot paths cost on a large database against a
// small one, in the same run. It builds both databases reproducibly (derived from row numbers: identities
// with a real bcrypt hash at cost 4, both addresses, sessions whose token hashes are the SHA-256
// of known tokens, a third of them expired), then runs each scenario on the small and the
// large database in turn, several interleaved rounds, and prints a Markdown table of the
// medians with large/small ratios.
//
//	go run ./bench/scale -dir /tmp/scale -identities 200000               # SQLite files
//	go run ./bench/scale -dsn 'postgres://postgres@127.0.0.1:5432/db?sslmode=disable' -identities 200000
//
// On PostgreSQL the two databases are the schemas scale_small and scale_large (dropped and
// rebuilt). The scenarios call the store as the handlers do (whoami's session read, the
// password login's identity read, an admin page of 250 identities first and deep, an
// identity's -big sessions page by page, the deletion of an identity with -big sessions,
// and a timed cleanup of expired flows and sessions), with -clients goroutines for -duration each;
// HTTP costs the same on both databases and is left out. -load then runs whoami and settings
// writes on the large database, idle, during a cleanup and during an identity's deletion
// (load.go). The large database is built set-based (build_pg.go, build_sqlite.go), and -reuse
// keeps the one an earlier run built.
package main

import (
	"context"
	"flag"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	portico "github.com/portico-auth/portico/internal/config"
	"github.com/portico-auth/portico/internal/store/sqlstore"
)

type config struct {
	dir, dsn           string
	identities, small  int
	perIdentity, big   int
	clients, rounds    int
	duration, cleanFor time.Duration
	load, loadCleanup  time.Duration
	reuse, buildOnly   bool
	identityCache      int
	only               string
	cacheMemory        int
	cpuProfile         string
	sqliteParams       string
}

func main() {
	var c config
	flag.StringVar(&c.dir, "dir", "", "directory for the SQLite files small.db and large.db (replaced)")
	flag.StringVar(&c.dsn, "dsn", "", "PostgreSQL DSN (schemas scale_small and scale_large are replaced)")
	flag.IntVar(&c.identities, "identities", 100000, "identities in the large database")
	flag.IntVar(&c.small, "small", 1000, "identities in the small database")
	flag.IntVar(&c.perIdentity, "sessions", 5, "sessions per identity (a third of them expired)")
	flag.IntVar(&c.big, "big", 1000, "sessions of each of the three identities listed and deleted")
	flag.IntVar(&c.clients, "clients", 8, "concurrent clients per scenario")
	flag.IntVar(&c.rounds, "rounds", 3, "interleaved rounds (the table shows medians)")
	flag.DurationVar(&c.duration, "duration", 3*time.Second, "time per scenario per round")
	flag.DurationVar(&c.cleanFor, "cleanup", 10*time.Second, "how long the cleanup of expired flows and sessions is timed")
	flag.DurationVar(&c.load, "load", 0, "if set, after the rounds: whoami and settings writes on the large database, idle for this long, then during a cleanup and during the deletion of an identity with -big sessions")
	flag.DurationVar(&c.loadCleanup, "load-cleanup", time.Minute, "the longest the cleanup under -load runs")
	flag.IntVar(&c.identityCache, "identity-cache", portico.DefaultIdentityCacheSize, "identities whose relations session reads remember (serve.identity_cache_size)")
	flag.IntVar(&c.cacheMemory, "cache-memory", 0, "if set, measure the heap the identity cache takes for this many identities of the large database (after the rounds)")
	flag.StringVar(&c.sqliteParams, "sqlite-params", "", "DSN parameters added to both SQLite files' DSN when they are opened to measure, e.g. _pragma=cache_size(-2000)")
	flag.StringVar(&c.cpuProfile, "cpuprofile", "", "write a CPU profile of the rounds (this process: the store's side) to this file")
	flag.StringVar(&c.only, "only", "", "run only the scenarios whose name contains this text (e.g. whoami)")
	flag.BoolVar(&c.reuse, "reuse", false, "keep the large database (PostgreSQL schema or SQLite file) of an earlier run instead of building it; its victims must still be there (copy the file before a run)")
	flag.BoolVar(&c.buildOnly, "build-only", false, "build both databases and stop (for -reuse)")
	flag.Parse()
	if (c.dir == "") == (c.dsn == "") {
		fmt.Fprintln(os.Stderr, "give -dir (SQLite) or -dsn (PostgreSQL)")
		os.Exit(2)
	}
	if err := run(context.Background(), c); err != nil {
		fmt.Fprintln(os.Stderr, "scale:", err)
		os.Exit(1)
	}
}

type db struct {
	name string
	st   *sqlstore.Store
	ds   *dataset
	path string // SQLite file
}

func open(ctx context.Context, c config, name string, n int) (*db, error) {
	var dsn, path string
	reuse := c.reuse && name == "large"
	if c.dir != "" {
		path = filepath.Join(c.dir, name+".db")
		for _, suffix := range []string{"", "-wal", "-shm"} {
			if !reuse {
				_ = os.Remove(path + suffix)
			}
		}
		dsn = "sqlite://" + path
	} else {
		schema := "scale_" + name
		admin, err := sqlstore.Open(ctx, c.dsn)
		if err != nil {
			return nil, err
		}
		if !reuse {
			_, err = admin.DB().ExecContext(ctx, "DROP SCHEMA IF EXISTS "+schema+" CASCADE; CREATE SCHEMA "+schema)
		}
		_ = admin.Close()
		if err != nil {
			return nil, err
		}
		u, err := url.Parse(c.dsn)
		if err != nil {
			return nil, err
		}
		q := u.Query()
		q.Set("search_path", schema)
		u.RawQuery = q.Encode()
		dsn = u.String()
	}
	// While a SQLite file is built its WAL keeper is off (wal_max_size=0): its truncating
	// checkpoints reset the WAL under the builder's connection, which then dropped its whole
	// page cache before each statement (a fifth of the build's CPU went to freeing pages).
	// The file is reopened with the plain DSN once built.
	if path != "" && c.sqliteParams != "" {
		dsn += "?" + c.sqliteParams
	}
	openDSN := dsn
	if path != "" && !reuse {
		openDSN += sep(openDSN) + "wal_max_size=0"
	}
	st, err := sqlstore.Open(ctx, openDSN)
	if err != nil {
		return nil, err
	}
	if err := st.MigrateUp(ctx, nil); err != nil {
		return nil, err
	}
	st.SetIdentityCacheSize(c.identityCache)
	// The deletion scenarios time the removal of every row, not only the tombstone after
	// which an identity's deletion returns to its caller.
	st.SetPurgeWait(time.Hour)
	if reuse && c.dsn != "" {
		return &db{name: name, st: st, ds: pgDataset(n)}, nil
	}
	if reuse {
		return &db{name: name, st: st, ds: derived(n, sqliteID), path: path}, nil
	}
	start := time.Now()
	ds, err := build(ctx, st, n, c.perIdentity, c.big, func(s string) {
		fmt.Fprintf(os.Stderr, "  %s: %s (%s)\n", name, s, time.Since(start).Round(time.Second))
	})
	if err != nil {
		return nil, err
	}
	if path != "" {
		// Measure the file as a server started on it gets it: fresh connections with cold
		// page caches, not the ones that built it.
		if err := st.Close(); err != nil {
			return nil, err
		}
		if st, err = sqlstore.Open(ctx, dsn); err != nil {
			return nil, err
		}
		st.SetIdentityCacheSize(c.identityCache)
		st.SetPurgeWait(time.Hour)
	}
	fmt.Fprintf(os.Stderr, "built %s: %d identities, %d sessions in %s\n", name, len(ds.ids)+bigIdentities, len(ds.ids)*c.perIdentity+bigIdentities*c.big, time.Since(start).Round(time.Second))
	return &db{name: name, st: st, ds: ds, path: path}, nil
}

func run(ctx context.Context, c config) error {
	small, err := open(ctx, c, "small", c.small)
	if err != nil {
		return err
	}
	defer small.st.Close()
	large, err := open(ctx, c, "large", c.identities)
	if err != nil {
		return err
	}
	defer large.st.Close()
	if c.buildOnly {
		return nil
	}
	dbs := []*db{small, large}

	if c.cpuProfile != "" {
		f, err := os.Create(c.cpuProfile)
		if err != nil {
			return err
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}
	results := map[string]map[string][]figure{}
	var names []string
	for round := range c.rounds {
		for _, sc := range scenarios {
			if !strings.Contains(sc.name, c.only) {
				continue
			}
			for _, d := range dbs {
				f := measure(ctx, d, sc, c)
				if results[sc.name] == nil {
					results[sc.name] = map[string][]figure{}
					if round == 0 {
						names = append(names, sc.name)
					}
				}
				results[sc.name][d.name] = append(results[sc.name][d.name], f)
				fmt.Fprintf(os.Stderr, "round %d %-28s %-5s %8.0f/s p99 %s\n", round+1, sc.name, d.name, f.rate, f.p99.Round(10*time.Microsecond))
			}
		}
	}
	// One-off measurements: an identity with -big sessions deleted, and a timed cleanup (not
	// with -only, so that a database kept for -reuse keeps its victims).
	delName := fmt.Sprintf("delete an identity with %d sessions", c.big)
	once := map[string][2]string{}
	for _, d := range dbs {
		if c.only != "" {
			break
		}
		start := time.Now()
		if err := d.st.DeleteIdentity(ctx, d.ds.bigVictim); err != nil {
			return fmt.Errorf("delete on %s (-reuse needs a schema whose victims are still there): %w", d.name, err)
		}
		del := time.Since(start)
		n, took, err := timedCleanup(ctx, d.st, c.cleanFor)
		if err != nil {
			return err
		}
		i := 0
		if d.name == "large" {
			i = 1
		}
		a := once[delName]
		a[i] = del.Round(100 * time.Microsecond).String()
		once[delName] = a
		b := once["cleanup of expired flows and sessions, rows/s"]
		b[i] = fmt.Sprintf("%.0f (%d rows in %s)", float64(n)/took.Seconds(), n, took.Round(time.Millisecond))
		once["cleanup of expired flows and sessions, rows/s"] = b
	}

	backend := "SQLite"
	if c.dsn != "" {
		backend = "PostgreSQL"
	}
	fmt.Printf("%s, %s; small %d identities, large %d identities with %d sessions each (a third expired), plus %d identities with %d sessions; %d clients, %s per scenario, median of %d interleaved rounds; GOMAXPROCS %d, load average at the end %s\n\n",
		backend, time.Now().UTC().Format("2006-01-02 15:04 UTC"), c.small, c.identities, c.perIdentity, bigIdentities, c.big, c.clients, c.duration, c.rounds, runtime.GOMAXPROCS(0), loadavg())
	if c.dir != "" {
		fmt.Printf("SQLite files: small %s, large %s\n\n", size(small.path), size(large.path))
	}
	fmt.Println("| scenario | small ops/s | small p99 | large ops/s | large p99 | large/small |")
	fmt.Println("| --- | --- | --- | --- | --- | --- |")
	for _, n := range names {
		s, l := median(results[n]["small"]), median(results[n]["large"])
		fmt.Printf("| %s | %.0f | %s | %.0f | %s | %.2f |\n", n, s.rate, s.p99.Round(10*time.Microsecond), l.rate, l.p99.Round(10*time.Microsecond), l.rate/s.rate)
	}
	for _, k := range []string{delName, "cleanup of expired flows and sessions, rows/s"} {
		if _, ok := once[k]; !ok {
			continue
		}
		fmt.Printf("| %s | %s | | %s | | |\n", k, once[k][0], once[k][1])
	}
	if c.cacheMemory > 0 {
		m, err := cacheMemory(ctx, large, c.cacheMemory, c.identityCache)
		if err != nil {
			return err
		}
		fmt.Printf("\nIdentity cache on the large database: %s\n", m)
	}
	if c.load > 0 {
		fmt.Fprintf(os.Stderr, "under load on the large database\n")
		table, err := underLoad(ctx, large, c)
		if err != nil {
			return err
		}
		fmt.Printf("\nUnder load on the large database: %d clients (half whoami, half settings writes), load average at the end %s\n\n%s", c.clients, loadavg(), table)
	}
	return nil
}

type figure struct {
	rate float64
	p99  time.Duration
}

func median(fs []figure) figure {
	rates := make([]float64, len(fs))
	p99s := make([]time.Duration, len(fs))
	for i, f := range fs {
		rates[i], p99s[i] = f.rate, f.p99
	}
	slices.Sort(rates)
	slices.Sort(p99s)
	return figure{rates[len(rates)/2], p99s[len(p99s)/2]}
}

// measure runs one scenario on d with c.clients goroutines for c.duration.
func measure(ctx context.Context, d *db, sc scenario, c config) figure {
	ctx, cancel := context.WithTimeout(ctx, c.duration)
	defer cancel()
	var (
		wg    sync.WaitGroup
		mu    sync.Mutex
		lats  []time.Duration
		fails atomic.Int64
	)
	for w := range c.clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var mine []time.Duration
			for i := 0; ctx.Err() == nil; i++ {
				start := time.Now()
				// Client w takes the numbers w, w+clients, w+2·clients, …: no two clients pick
				// the same row. (w*1_000_003+i, as before, started client w 3w picks after
				// client 0 on 100,000 rows, since 1,000,003 ≡ 3 mod 100,000, so the clients
				// read the same tokens a few requests apart and most whoami reads on the large
				// database found the identity remembered by another client's read.)
				if err := sc.op(context.Background(), d, i*c.clients+w); err != nil {
					fails.Add(1)
					if fails.Load() == 1 {
						fmt.Fprintf(os.Stderr, "%s on %s: %v\n", sc.name, d.name, err)
					}
				}
				mine = append(mine, time.Since(start))
			}
			mu.Lock()
			lats = append(lats, mine...)
			mu.Unlock()
		}()
	}
	wg.Wait()
	slices.Sort(lats)
	if len(lats) == 0 {
		return figure{}
	}
	return figure{rate: float64(len(lats)) / c.duration.Seconds(), p99: lats[len(lats)*99/100]}
}

func size(path string) string {
	var total int64
	for _, suffix := range []string{"", "-wal"} {
		if fi, err := os.Stat(path + suffix); err == nil {
			total += fi.Size()
		}
	}
	return fmt.Sprintf("%.1f MB", float64(total)/1e6)
}

func loadavg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "unknown"
	}
	return strings.Join(f[:3], " ")
}

// sep is what joins one more parameter to dsn: "?" for its first, "&" after that.
func sep(dsn string) string {
	if strings.Contains(dsn, "?") {
		return "&"
	}
	return "?"
}
