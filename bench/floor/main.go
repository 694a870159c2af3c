// Command floor is the performance floor for the settings endpoint: the least a Go handler can do
// to answer createBrowserSettingsFlow over AJAX — one indexed session read, one flow insert and a
// ~6 KB JSON reply — on its own tiny SQLite schema, so bench/load can measure Portico as a ratio
// to it in the same run. It accepts the request shape Portico does (session cookie
// ory_kratos_session or X-Session-Token) and seeds sessions whose tokens are "floor-token-<i>".
//
//	go run ./bench/floor -listen 127.0.0.1:4455 -db /tmp/floor.db -seed 1000
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"
)

func main() {
	listen := flag.String("listen", "127.0.0.1:4455", "address to serve on (loopback)")
	dbPath := flag.String("db", "", "SQLite file (default: a fresh file in a temporary directory)")
	seed := flag.Int("seed", 1000, "sessions to seed, with tokens floor-token-0 … floor-token-<n-1>")
	flag.Parse()
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	if err := run(*listen, *dbPath, *seed, log); err != nil {
		fmt.Fprintln(os.Stderr, "floor:", err)
		os.Exit(1)
	}
}

func run(listen, dbPath string, seed int, log *slog.Logger) error {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if dbPath == "" {
		dir, err := os.MkdirTemp("", "portico-floor-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(dir)
		dbPath = dir + "/floor.db"
	}
	db, err := openDB(ctx, dbPath)
	if err != nil {
		return err
	}
	defer db.close()
	if err := db.seed(ctx, seed, time.Now()); err != nil {
		return fmt.Errorf("seed: %w", err)
	}
	h, err := newHandler(db, "http://"+listen, time.Now)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", listen)
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second, IdleTimeout: 120 * time.Second}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	fmt.Fprintf(os.Stderr, "floor: listening on %s with %d sessions\n", ln.Addr(), seed)
	select {
	case <-ctx.Done():
	case err := <-errc:
		if !errors.Is(err, http.ErrServerClosed) {
			return err
		}
	}
	sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return srv.Shutdown(sctx)
}
