package main

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
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
	var cfgPath string
	var dev, pprof bool
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Run the public and admin listeners",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, warnings, err := loadConfig(cfgPath, dev)
			if err != nil {
				return err
			}
			// Before anything starts: a server without secrets would fail later, per request.
			if err := cfg.CheckServeSecrets(); err != nil {
				return err
			}
			log := newLogger(cfg)
			for _, w := range warnings {
				log.Warn(w)
			}
			ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
			defer stop()

			st, err := openStore(ctx, cfg.DSN)
			if err != nil {
				return err
			}
			defer st.Close()
			// An in-memory database starts empty every time: migrating it is the only sensible thing.
			if dev || cfg.DSN == "memory" {
				err = migrateAtStart(ctx, st, log)
			} else {
				err = requireMigrated(ctx, st)
			}
			if err != nil {
				return err
			}
			if dev && cfg.NeedsCookieSecret() {
				secret, err := devCookieSecret(ctx, st)
				if err != nil {
					return err
				}
				cfg.Secrets.Cookie = []string{secret}
				log.Warn("secrets.cookie is not set: using a generated secret kept in the database (dev mode only)")
			}
			app, err := server.Build(ctx, cfg, st, log, nil)
			if err != nil {
				return err
			}
			stopCleanup := app.StartCleanup(ctx)
			defer stopCleanup()
			adminHandler := app.Admin
			if pprof {
				adminHandler = server.WithPprof(adminHandler, cfg)
				log.Warn("profiling is on: /debug/pprof/ is served on the admin listener")
			}
			return server.Run(ctx, log, 30*time.Second,
				server.Listener{Name: "public", Addr: addr(cfg.Serve.Public), BaseURL: cfg.Serve.Public.BaseURL, Handler: app.Public},
				server.Listener{Name: "admin", Addr: addr(cfg.Serve.Admin), BaseURL: cfg.Serve.Admin.BaseURL, Handler: adminHandler, Private: true},
			)
		},
	}
	cmd.Flags().StringVarP(&cfgPath, "config", "c", "", "configuration file (YAML)")
	cmd.Flags().BoolVar(&dev, "dev", false, "development mode: SQLite default, automatic migrations, built-in schema, cookies without Secure on http")
	cmd.Flags().BoolVar(&pprof, "pprof", false, "serve Go's profiler (net/http/pprof) under /debug/pprof/ on the admin listener")
	return cmd
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
