package main

import (
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/spf13/cobra"

	"github.com/portico-auth/portico/internal/cleanup"
)

// progressEvery is how many batches pass between two progress lines, so a million rows give a
// few hundred lines rather than thousands.
const progressEvery = 10

func cleanupCmd() *cobra.Command {
	var (
		cfgPath   string
		olderThan time.Duration
		batch     int
	)
	cmd := &cobra.Command{
		Use:   "cleanup",
		Short: "Delete expired flows, sessions and login-failure counters in small batches",
		Long: "Deletes, in small batches, the flows that expired over an hour ago and the sessions and\n" +
			"login-failure counters that expired over a day ago, and audit events older than audit.retention\n" +
			"(what `serve` does every ten minutes); --older-than sets one retention for all but the audit events.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if cmd.Flags().Changed("older-than") && olderThan < 0 {
				return errors.New("--older-than must not be negative")
			}
			if batch < 1 {
				return errors.New("--batch must be at least 1")
			}
			cfg, _, err := loadConfig(cfgPath, false)
			if err != nil {
				return err
			}
			ctx := cmd.Context()
			st, err := openMigratedStore(ctx, cfg.DSN)
			if err != nil {
				return err
			}
			defer st.Close()
			keep := cleanup.Default
			if cmd.Flags().Changed("older-than") {
				keep = cleanup.Retention{Flows: olderThan, Sessions: olderThan, LoginFailures: olderThan, Errors: olderThan, Messages: olderThan}
			}
			// The audit trail keeps its configured retention: --older-than is for what expired,
			// not for the record of what happened.
			keep.Events = cfg.Audit.Retention
			out := cmd.OutOrStdout()
			fmt.Fprintf(out, "deleting flows expired over %s ago, sessions and login failures over %s ago\n", keep.Flows, keep.Sessions)
			start := time.Now()
			c, err := cleanup.Run(ctx, st, time.Now(), keep, batch, progressLines(out))
			if err != nil {
				return err
			}
			fmt.Fprintf(out, "done: %d flows, %d sessions and %d login-failure counters deleted (and %d self-service errors, %d courier messages, %d audit events) in %s\n",
				c.Flows, c.Sessions, c.LoginFailures, c.Errors, c.Messages, c.Events, time.Since(start).Round(time.Millisecond))
			if c.DeletedIdentities > 0 {
				fmt.Fprintf(out, "%d rows of deleted identities removed (deletions that were interrupted after the identity was gone)\n", c.DeletedIdentities)
			}
			if c.ReclaimedPages > 0 {
				fmt.Fprintf(out, "%d free pages handed back to the file system\n", c.ReclaimedPages)
			}
			return nil
		},
	}
	cmd.Flags().StringVarP(&cfgPath, "config", "c", "", "configuration file (YAML)")
	cmd.Flags().DurationVar(&olderThan, "older-than", 0, "one retention for every table (default: flows and self-service errors 1h, sessions and login failures 24h)")
	cmd.Flags().IntVar(&batch, "batch", 1000, "rows deleted per statement (small batches keep locks short)")
	return cmd
}

// progressLines writes a line with the count so far every few batches and when a table is done.
func progressLines(w io.Writer) cleanup.Progress {
	batches := 0
	return func(table string, deleted int, done bool) {
		batches++
		switch {
		case done:
			fmt.Fprintf(w, "%s: %d deleted\n", table, deleted)
			batches = 0
		case batches%progressEvery == 0:
			fmt.Fprintf(w, "%s: %d deleted so far\n", table, deleted)
		}
	}
}
