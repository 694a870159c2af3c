package main

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"net"
	"os"
	"os/signal"
	"strconv"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/portico-auth/portico/internal/config"
	"github.com/portico-auth/portico/internal/server"
	"github.com/portico-auth/portico/internal/store/sqlstore"
)

func serveCmd() *cobra.Command {
	var pprof, watchFlag bool
	cmd := servingCmd("serve", "Run the public and admin listeners",
		"development mode: SQLite default, automatic migrations, built-in schema, cookies without Secure on http",
		func(ctx context.Context, cmd *cobra.Command, cfg *config.Config, log *slog.Logger, st *sqlstore.Store) error {
			app, err := server.Build(ctx, cfg, st, log, nil)
			if err != nil {
				return err
			}
			stopMemLimit := server.StartMemoryLimit(ctx, log, int64(min(cfg.Serve.MemoryLimit, math.MaxInt64)))
			defer stopMemLimit()
			stopCleanup := app.StartCleanup(ctx)
			defer stopCleanup()
			watch, err := watchCourier(cmd, app, watchFlag, log)
			if err != nil {
				return err
			}
			if watch {
				// Stopped after the listeners (deferred calls run last first): the message
				// being sent is finished and recorded.
				stopCourier := app.StartCourier(ctx)
				defer stopCourier()
			}
			adminHandler := app.Admin
			if pprof {
				adminHandler = server.WithPprof(adminHandler, cfg)
				log.Warn("profiling is on: /debug/pprof/ is served on the admin listener")
			}
			err = server.Run(ctx, log, 30*time.Second,
				server.Listener{Name: "public", Addr: addr(cfg.Serve.Public), BaseURL: cfg.Serve.Public.BaseURL, Handler: app.Public},
				server.Listener{Name: "admin", Addr: addr(cfg.Serve.Admin), BaseURL: cfg.Serve.Admin.BaseURL, Handler: adminHandler, Private: true},
			)
			// Web hooks sent in the background (response.ignore) by the last requests get a
			// while to arrive before the process ends; those still running then are cancelled.
			wctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			if n := app.WebHooks.Shutdown(wctx); n > 0 {
				log.Warn("web hooks cancelled at exit: still in flight after 10s", "in_flight", n)
			}
			return err
		})
	cmd.Flags().BoolVar(&pprof, "pprof", false, "serve Go's profiler (net/http/pprof) under /debug/pprof/ on the admin listener")
	cmd.Flags().BoolVar(&watchFlag, "watch-courier", false, "deliver queued messages in this process (default: on when courier.smtp.connection_uri or an HTTP email channel is configured; --watch-courier=false leaves delivery to `portico courier watch`)")
	return cmd
}

// watchCourier decides whether serve delivers messages: as --watch-courier says when it is
// given, otherwise whenever a channel can send. Kratos needs the flag; Portico defaults to on
// because any number of workers can share a queue (each message is claimed by one), so a
// server that can send mail should.
func watchCourier(cmd *cobra.Command, app *server.App, flag bool, log *slog.Logger) (bool, error) {
	if cmd.Flags().Changed("watch-courier") {
		if flag && app.CourierWorker == nil {
			return false, errors.New("--watch-courier: no channel can send messages: set courier.smtp.connection_uri (or courier.delivery_strategy: http)")
		}
		return flag, nil
	}
	if app.CourierWorker == nil {
		log.Warn("courier: no channel can send messages (courier.smtp.connection_uri is not set): messages stay queued; list them with GET /admin/courier/messages")
		return false, nil
	}
	return true, nil
}

// servingCmd is a long-running command (serve, courier watch) with its --config and --dev
// flags (dev described by devUsage): run gets what startServing began, closed when it returns.
func servingCmd(use, short, devUsage string, run func(ctx context.Context, cmd *cobra.Command, cfg *config.Config, log *slog.Logger, st *sqlstore.Store) error) *cobra.Command {
	var cfgPath string
	var dev bool
	cmd := &cobra.Command{
		Use:   use,
		Short: short,
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx, cfg, log, st, stop, err := startServing(cmd, cfgPath, dev)
			if err != nil {
				return err
			}
			defer stop()
			return run(ctx, cmd, cfg, log, st)
		},
	}
	cmd.Flags().StringVarP(&cfgPath, "config", "c", "", "configuration file (YAML)")
	cmd.Flags().BoolVar(&dev, "dev", false, devUsage)
	return cmd
}

// startServing is how serve and courier watch begin: the configuration loaded and its secrets
// checked (before anything starts: without them a server would fail later, per request, and
// the courier could not open the sealed messages), the logger with the configuration's
// warnings, a context that ends on SIGINT or SIGTERM, and the store opened for serving. stop
// closes the store and the signal watch.
func startServing(cmd *cobra.Command, cfgPath string, dev bool) (ctx context.Context, cfg *config.Config, log *slog.Logger, st *sqlstore.Store, stop func(), err error) {
	cfg, warnings, err := loadConfig(cfgPath, dev)
	if err != nil {
		return nil, nil, nil, nil, nil, err
	}
	if err := cfg.CheckServeSecrets(); err != nil {
		return nil, nil, nil, nil, nil, err
	}
	log = newLogger(cfg)
	for _, w := range warnings {
		log.Warn(w)
	}
	ctx, stopSignals := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
	st, err = openForServing(ctx, cfg, dev, log)
	if err != nil {
		stopSignals()
		return nil, nil, nil, nil, nil, err
	}
	return ctx, cfg, log, st, func() { st.Close(); stopSignals() }, nil
}

// openForServing opens the database for a long-running command (serve, courier watch):
// migrated (automatically in dev mode or in memory, otherwise it must be already), with the
// dev-mode cookie secret filled in when none is configured.
func openForServing(ctx context.Context, cfg *config.Config, dev bool, log *slog.Logger) (*sqlstore.Store, error) {
	st, err := openStore(ctx, cfg.DSN)
	if err != nil {
		return nil, err
	}
	st.SetIdentityCacheSize(cfg.Serve.IdentityCacheSize)
	st.SetLogger(log)
	// An in-memory database starts empty every time: migrating it is the only sensible thing.
	if dev || cfg.DSN == "memory" {
		err = migrateAtStart(ctx, st, log)
	} else {
		err = requireMigrated(ctx, st)
	}
	if err == nil && dev && cfg.NeedsCookieSecret() {
		var secret string
		if secret, err = devCookieSecret(ctx, st); err == nil {
			cfg.Secrets.Cookie = []string{secret}
			log.Warn("secrets.cookie is not set: using a generated secret kept in the database (dev mode only)")
		}
	}
	if err != nil {
		_ = st.Close()
		return nil, err
	}
	return st, nil
}

func addr(l config.Listener) string {
	return net.JoinHostPort(l.Host, strconv.Itoa(l.Port))
}

// migrateAtStart applies pending migrations, waiting while another process (another
// `serve --dev` on the same file) migrates the same database.
func migrateAtStart(ctx context.Context, st *sqlstore.Store, log *slog.Logger) error {
	err := st.Migrate(ctx, sqlstore.MigrateOptions{
		Progress: func(name string) { log.Info("applying migration", "migration", name) },
		Waiting: func(waited time.Duration) {
			log.Info(waitingLine(waited, sqlstore.DefaultMigrationLockTimeout))
		},
	})
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	return nil
}

// requireMigrated refuses a database with pending migrations.
func requireMigrated(ctx context.Context, st *sqlstore.Store) error {
	n, err := st.PendingMigrations(ctx)
	if err != nil {
		return describeStoreError("read migration status", err)
	}
	if n > 0 {
		return fmt.Errorf("the database has %d pending migration(s): run `portico migrate up -c <config>` first", n)
	}
	return nil
}

// devCookieSecret returns the cookie secret kept in the database, generating it once.
func devCookieSecret(ctx context.Context, st *sqlstore.Store) (string, error) {
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", err
	}
	v, err := st.PutValueIfAbsent(ctx, "dev_cookie_secret", base64.RawURLEncoding.EncodeToString(b[:]))
	if err != nil {
		return "", errors.New("could not keep the generated cookie secret: " + err.Error())
	}
	return v, nil
}

func setEnvDSN(dsn string) error { return os.Setenv("DSN", dsn) }
