package main

import (
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/portico-auth/portico/internal/store/sqlstore"
)

func migrateCmd() *cobra.Command {
	var cfgPath string
	var lockTimeout time.Duration
	cmd := &cobra.Command{
		Use:   "migrate",
		Short: "Manage the database schema",
	}
	cmd.PersistentFlags().StringVarP(&cfgPath, "config", "c", "", "configuration file (YAML)")
	cmd.PersistentFlags().DurationVar(&lockTimeout, "lock-timeout", sqlstore.DefaultMigrationLockTimeout, "how long to wait while another process migrates the same database")

	// open opens the configured database as it is (no migration, no check).
	open := func(cmd *cobra.Command) (*sqlstore.Store, error) {
		cfg, _, err := loadConfig(cfgPath, false)
		if err != nil {
			return nil, err
		}
		return openStore(cmd.Context(), cfg.DSN)
	}
	up := func(cmd *cobra.Command) error {
		st, err := open(cmd)
		if err != nil {
			return err
		}
		defer st.Close()
		out := cmd.OutOrStdout()
		start := time.Now()
		n := 0
		err = st.Migrate(cmd.Context(), sqlstore.MigrateOptions{
			Progress: func(name string) {
				n++
				fmt.Fprintf(out, "applying migration %d: %s\n", n, name)
			},
			Waiting:     func(waited time.Duration) { fmt.Fprintln(out, waitingLine(waited, lockTimeout)) },
			LockTimeout: lockTimeout,
		})
		if err != nil {
			return fmt.Errorf("migrate: %w", err)
		}
		fmt.Fprintf(out, "database is up to date (%d applied, %s)\n", n, time.Since(start).Round(time.Millisecond))
		return nil
	}

	cmd.AddCommand(&cobra.Command{
		Use:   "up",
		Short: "Apply every pending migration",
		Args:  cobra.NoArgs,
		RunE:  func(cmd *cobra.Command, _ []string) error { return up(cmd) },
	})
	cmd.AddCommand(&cobra.Command{
		Use:   "status",
		Short: "List migrations and whether they are applied",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			st, err := open(cmd)
			if err != nil {
				return err
			}
			defer st.Close()
			states, err := st.MigrationStatus(cmd.Context())
			if err != nil {
				return fmt.Errorf("migration status: %w", err)
			}
			out := cmd.OutOrStdout()
			for _, s := range states {
				state := "pending"
				if s.Applied {
					state = "applied " + s.AppliedAt.UTC().Format(time.RFC3339)
				}
				fmt.Fprintf(out, "%-50s %s\n", s.Name, state)
			}
			return nil
		},
	})
	// Kratos's spelling: `kratos migrate sql -e --yes -c FILE` (or with the DSN as argument).
	var fromEnv, yes bool
	sql := &cobra.Command{
		Use:   "sql [DSN]",
		Short: "Apply every pending migration (Kratos's spelling of `migrate up`)",
		Args:  cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 1 {
				cmd.Root().SetContext(cmd.Context())
				if err := setEnvDSN(args[0]); err != nil {
					return err
				}
			}
			return up(cmd)
		},
	}
	sql.Flags().BoolVarP(&fromEnv, "read-from-env", "e", false, "read the DSN from the environment (always on)")
	sql.Flags().BoolVarP(&yes, "yes", "y", false, "do not ask for confirmation (Portico never asks)")
	cmd.AddCommand(sql)
	return cmd
}

// waitingLine is the progress line printed while another process migrates.
func waitingLine(waited, limit time.Duration) string {
	return fmt.Sprintf("waiting for another migration to finish (%s of at most %s)…", waited.Round(time.Second), limit)
}
