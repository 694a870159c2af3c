package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"time"
)

type options struct {
	public, admin, floor string
	duration, warmup     time.Duration
	concurrency          int
	scenarios            string
	pid, floorPID        int
	dbMatch              string
	identities           int
	hash, title          string
}

func main() {
	var o options
	flag.StringVar(&o.public, "public", "http://127.0.0.1:4433", "Portico's public URL (loopback only)")
	flag.StringVar(&o.admin, "admin", "http://127.0.0.1:4434", "Portico's admin URL (loopback only)")
	flag.StringVar(&o.floor, "floor", "", "bench/floor's URL; adds the floor scenario and ratios to it")
	flag.DurationVar(&o.duration, "duration", 10*time.Second, "measured time per scenario")
	flag.DurationVar(&o.warmup, "warmup", time.Second, "unmeasured time per scenario before it")
	flag.IntVar(&o.concurrency, "concurrency", 16, "concurrent clients")
	flag.StringVar(&o.scenarios, "scenarios", "all", "comma-separated scenarios (whoami, settings-ajax, settings-browser, get-settings-flow, update-profile-native, login-password, floor) or all")
	flag.IntVar(&o.pid, "pid", 0, "Portico's PID, to sample its peak RSS from /proc (0: do not)")
	flag.IntVar(&o.floorPID, "floor-pid", 0, "bench/floor's PID, to sample its peak RSS")
	flag.StringVar(&o.dbMatch, "db-process", "", "text in the command line of the database processes serving Portico (PostgreSQL: \"postgres: USER DATABASE \"), to report their CPU per request")
	flag.IntVar(&o.identities, "identities", 0, "identities to create and sign in (0: one per client, so no two clients update the same identity at once)")
	flag.StringVar(&o.hash, "hash", "", "the server's configured password hashing, printed with the table (e.g. \"bcrypt cost 12\")")
	flag.StringVar(&o.title, "title", "", "a heading for the table")
	flag.Parse()

	log := slog.New(slog.NewTextHandler(os.Stderr, nil))
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := runAll(ctx, o, os.Stdout, log); err != nil {
		fmt.Fprintln(os.Stderr, "load:", err)
		os.Exit(1)
	}
}

func (o options) validate() error {
	switch {
	case o.duration <= 0:
		return errors.New("-duration must be positive")
	case o.warmup < 0:
		return errors.New("-warmup must not be negative")
	case o.concurrency < 1 || o.concurrency > 1024:
		return errors.New("-concurrency must be between 1 and 1024")
	case o.identities < 0 || o.identities > 100000:
		return errors.New("-identities must be between 0 and 100000")
	}
	return nil
}

// runAll sets up, runs every selected scenario and writes the report to out.
func runAll(ctx context.Context, o options, out io.Writer, log *slog.Logger) error {
	if err := o.validate(); err != nil {
		return err
	}
	if o.identities == 0 {
		o.identities = o.concurrency
	}
	sel, err := selectScenarios(o.scenarios, o.floor != "")
	if err != nil {
		return err
	}
	e := &env{client: newClient(o.concurrency)}
	var nd needs
	portico := false
	for _, s := range sel {
		if !s.floor {
			portico = true
		}
		nd.identities = nd.identities || s.needs.identities
		nd.token = nd.token || s.needs.token
		nd.browser = nd.browser || s.needs.browser
		nd.browserFlow = nd.browserFlow || s.needs.browserFlow
		nd.apiFlow = nd.apiFlow || s.needs.apiFlow
	}
	if portico {
		pub, err := loopbackURL(o.public)
		if err != nil {
			return fmt.Errorf("-public: %w", err)
		}
		adm, err := loopbackURL(o.admin)
		if err != nil {
			return fmt.Errorf("-admin: %w", err)
		}
		e.public, e.admin = pub.String(), adm.String()
	}
	if o.floor != "" {
		f, err := loopbackURL(o.floor)
		if err != nil {
			return fmt.Errorf("-floor: %w", err)
		}
		e.floorURL = f.String()
	}

	var rid [4]byte
	_, _ = rand.Read(rid[:])
	start := time.Now()
	if err := e.setup(ctx, o.identities, o.concurrency, hex.EncodeToString(rid[:]), nd); err != nil {
		return fmt.Errorf("setup: %w", err)
	}
	if nd.apiFlow && o.identities < o.concurrency {
		log.Warn("fewer identities than clients: update-profile-native will see 409 conflicts from concurrent updates of one identity")
	}
	if nd.identities {
		log.Info("setup done", "identities", o.identities, "took", time.Since(start).Round(time.Millisecond))
	}

	var results []result
	for _, sc := range sel {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		pid := o.pid
		if sc.floor {
			pid = o.floorPID
		}
		var res result
		m := &cpuMeter{pid: pid}
		if !sc.floor {
			m.dbMatch = o.dbMatch
		}
		peak, err := peakDuring(pid, func() { res = run(ctx, e, sc, o.concurrency, o.warmup, o.duration, m) })
		if err != nil {
			log.Warn("could not sample RSS", "pid", pid, "error", err)
		}
		res.peakRSS = peak
		log.Info("scenario done", "scenario", sc.name, "requests", res.requests, "req/s", fmt.Sprintf("%.0f", res.rate()), "errors", res.errors)
		results = append(results, res)
	}

	info := reportInfo{title: o.title, public: e.public, floor: e.floorURL, concurrency: o.concurrency,
		duration: o.duration, identities: o.identities, hash: o.hash, cpu: o.pid > 0, dbCPU: o.dbMatch != ""}
	if o.pid > 0 {
		if m, err := readStatus(o.pid); err == nil {
			info.serverHWM = m.hwm
		}
	}
	if o.floorPID > 0 {
		if m, err := readStatus(o.floorPID); err == nil {
			info.floorHWM = m.hwm
		}
	}
	if !portico {
		info.public = "(none)"
	}
	writeReport(out, info, results)
	return nil
}
