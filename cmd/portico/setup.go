package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/portico-auth/portico/internal/apierr"
	"github.com/portico-auth/portico/internal/config"
	"github.com/portico-auth/portico/internal/store/sqlstore"
)

// commandGroup is a command that only holds its sub-commands.
func commandGroup(use, short string, subs ...*cobra.Command) *cobra.Command {
	cmd := &cobra.Command{Use: use, Short: short}
	cmd.AddCommand(subs...)
	return cmd
}

// loadConfig reads the file (if any) and the environment; warnings go to the log.
func loadConfig(path string, dev bool) (*config.Config, []string, error) {
	cfg, warnings, err := config.Load(path, config.LoadOptions{Dev: dev, Env: os.LookupEnv})
	if err != nil {
		return nil, nil, err
	}
	return cfg, warnings, nil
}

func newLogger(cfg *config.Config) *slog.Logger {
	var level slog.Level
	switch strings.ToLower(cfg.Log.Level) {
	case "debug":
		level = slog.LevelDebug
	case "warn":
		level = slog.LevelWarn
	case "error":
		level = slog.LevelError
	default:
		level = slog.LevelInfo
	}
	opts := &slog.HandlerOptions{Level: level}
	if strings.ToLower(cfg.Log.Format) == "text" {
		return slog.New(slog.NewTextHandler(os.Stderr, opts))
	}
	return slog.New(slog.NewJSONHandler(os.Stderr, opts))
}

// openStore opens the database named by the DSN; an unreachable database is one clear error.
func openStore(ctx context.Context, dsn string) (*sqlstore.Store, error) {
	st, err := sqlstore.Open(ctx, dsn)
	if err != nil {
		return nil, describeStoreError("open database", err)
	}
	if err := st.Ping(ctx); err != nil {
		_ = st.Close()
		return nil, describeStoreError("check database", err)
	}
	return st, nil
}

// openMigratedStore opens the database named by the DSN and refuses it, closed, while it has
// pending migrations: what the commands that work on existing rows need.
func openMigratedStore(ctx context.Context, dsn string) (*sqlstore.Store, error) {
	st, err := openStore(ctx, dsn)
	if err != nil {
		return nil, err
	}
	if err := requireMigrated(ctx, st); err != nil {
		_ = st.Close()
		return nil, err
	}
	return st, nil
}

// describeStoreError turns a store error into one line for an operator: for an unreachable
// database, the driver's own words (which name host and cause, never the password).
func describeStoreError(what string, err error) error {
	var ae *apierr.Error
	if errors.As(err, &ae) && errors.Is(err, apierr.ErrUnavailable) {
		if cause := ae.Unwrap(); cause != nil {
			return fmt.Errorf("%s: the database cannot be reached: %v", what, cause)
		}
		return fmt.Errorf("%s: the database cannot be reached", what)
	}
	return fmt.Errorf("%s: %w", what, err)
}
