// Command churn shows that flow cleanup keeps the database bounded: it opens the real store
// (sqlstore, migrated), creates N settings-sized flows (~6 KB documents, like a real settings
// flow) with a short lifespan on a simulated clock, and every simulated cleanup interval runs
// the production cleanup routine, cleanup.Run, with a configurable grace period for flows
// (the server's is 1h). It prints the live row count and the database size as it goes.
//
//	go run ./bench/churn -n 1000000 -db /tmp/churn.db            # SQLite (file replaced)
//	go run ./bench/churn -n 1000000 -dsn postgres://…            # PostgreSQL (flows table emptied first)
//	go run ./bench/churn -n 1000000 -db /tmp/churn.db -grace 1m  # a short grace: the table stays small
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/google/uuid"

	"github.com/portico-auth/portico/internal/cleanup"
	"github.com/portico-auth/portico/internal/identity"
	"github.com/portico-auth/portico/internal/store/sqlstore"
)

type options struct {
	n        int
	dbPath   string
	dsn      string
	rate     int
	minLife  time.Duration
	maxLife  time.Duration
	grace    time.Duration
	interval time.Duration
	every    int
}

// cleanupBatch is the batch size serve's cleanup loop uses.
const cleanupBatch = 500

func main() {
	var o options
	flag.IntVar(&o.n, "n", 1_000_000, "flows to create")
	flag.StringVar(&o.dbPath, "db", "", "SQLite file to create (an existing file and its -wal/-shm are replaced)")
	flag.StringVar(&o.dsn, "dsn", "", "database DSN instead of -db, e.g. postgres://postgres@127.0.0.1:5432/churn (its flows table is emptied first)")
	flag.IntVar(&o.rate, "rate", 20, "flows per simulated second (the steady state holds about rate × (life-max + grace + interval) rows)")
	flag.DurationVar(&o.minLife, "life-min", time.Minute, "shortest flow lifespan")
	flag.DurationVar(&o.maxLife, "life-max", 2*time.Minute, "longest flow lifespan")
	flag.DurationVar(&o.grace, "grace", cleanup.Default.Flows, "cleanup deletes flows that expired more than this long ago (serve keeps them 1h)")
	flag.DurationVar(&o.interval, "interval", 10*time.Minute, "simulated time between cleanups (serve uses 10m)")
	flag.IntVar(&o.every, "every", 50_000, "print a progress line every this many flows")
	flag.Parse()
	if (o.dbPath == "") == (o.dsn == "") {
		fmt.Fprintln(os.Stderr, "churn: give exactly one of -db and -dsn")
		os.Exit(2)
	}
	if o.n <= 0 || o.rate <= 0 || o.every <= 0 || o.minLife <= 0 || o.maxLife < o.minLife || o.interval <= 0 {
		fmt.Fprintln(os.Stderr, "churn: -n, -rate, -every, -life-min and -interval must be positive and -life-max ≥ -life-min")
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, o, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "churn:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, o options, out io.Writer) error {
	dsn := o.dsn
	if o.dbPath != "" {
		for _, suffix := range []string{"", "-wal", "-shm"} {
			if err := os.Remove(o.dbPath + suffix); err != nil && !os.IsNotExist(err) {
				return fmt.Errorf("remove old database: %w", err)
			}
		}
		dsn = "sqlite://" + o.dbPath
	}
	st, err := sqlstore.Open(ctx, dsn)
	if err != nil {
		return err
	}
	defer st.Close()
	if err := st.MigrateUp(ctx, nil); err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	m := &meter{st: st, path: o.dbPath}
	if o.dsn != "" {
		if _, err := st.DB().ExecContext(ctx, "DELETE FROM flows"); err != nil {
			return fmt.Errorf("empty flows table: %w", err)
		}
	}

	// The simulated clock: flow i is created i/rate seconds after start.
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	now := start
	clock := func() time.Time { return now }
	st.Now = clock

	// Settings flows belong to an identity (flows.identity_id references identities).
	owner := &identity.Identity{
		ID: uuid.New(), SchemaID: "default", State: identity.StateActive,
		Traits:    []byte(`{"email":"ada.lovelace@example.com","name":{"first":"Ada","last":"Lovelace"}}`),
		CreatedAt: now, UpdatedAt: now,
	}
	if err := st.CreateIdentity(ctx, owner); err != nil {
		return fmt.Errorf("create identity: %w", err)
	}
	tpl, err := newTemplate(owner.ID, "https://auth.example.com", now)
	if err != nil {
		return err
	}

	// The production cleanup routine with the server's batch size; flows kept -grace after expiry.
	keep := cleanup.Default
	keep.Flows = o.grace

	fmt.Fprintf(out, "churn: %s, %d flows of %d bytes, %d flows per simulated second, lifespan %s–%s, cleanup every %s with grace %s (batch as serve)\n",
		st.Dialect(), o.n, tpl.Size(), o.rate, o.minLife, o.maxLife, o.interval, o.grace)
	step := time.Second / time.Duration(o.rate)
	spread := o.maxLife - o.minLife
	nextCleanup := start
	began := time.Now()
	var deleted, cleanups int
	var cleanupTime time.Duration
	for i := 0; i < o.n; i++ {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		now = start.Add(time.Duration(i) * step)
		if !now.Before(nextCleanup) {
			t0 := time.Now()
			c, err := cleanup.Run(ctx, st, now, keep, cleanupBatch, nil)
			if err != nil {
				return fmt.Errorf("cleanup: %w", err)
			}
			cleanupTime += time.Since(t0)
			deleted += c.Flows
			cleanups++
			nextCleanup = nextCleanup.Add(o.interval)
		}
		id := uuid.New()
		life := o.minLife
		if spread > 0 {
			life += time.Duration(i%1000) * spread / 1000
		}
		rec := flowRecord(id, owner.ID, now.Add(life), tpl.For(id))
		if err := st.CreateFlow(ctx, rec); err != nil {
			return fmt.Errorf("create flow %d: %w", i, err)
		}
		if (i+1)%o.every == 0 || i+1 == o.n {
			s, err := m.measure(ctx)
			if err != nil {
				return err
			}
			fmt.Fprintf(out, "flows %9d  rows %9d  %s  deleted %9d  cleanups %4d  simulated %-10s  elapsed %s\n",
				i+1, s.rows, s, deleted, cleanups, now.Sub(start).Round(time.Second), time.Since(began).Round(100*time.Millisecond))
		}
	}
	s, err := m.measure(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "final: %d flows created, %d deleted by %d cleanups (%s in cleanup), %d live rows, %s, elapsed %s\n",
		o.n, deleted, cleanups, cleanupTime.Round(time.Millisecond), s.rows, s, time.Since(began).Round(100*time.Millisecond))
	return nil
}
