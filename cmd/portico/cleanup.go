package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/spf13/cobra"
)

// expiredDeleter is the part of the store that cleanup needs.
type expiredDeleter interface {
	DeleteFlowsExpiredBefore(ctx context.Context, t time.Time, limit int) (int, error)
	DeleteSessionsExpiredBefore(ctx context.Context, t time.Time, limit int) (int, error)
}

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
		Short: "Delete flows and sessions that expired more than --older-than ago, in small batches",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if olderThan < 0 {
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
			st, err := openStore(ctx, cfg.DSN)
			if err != nil {
				return err
			}
			defer st.Close()
			if err := prepareDatabase(ctx, st, false); err != nil {
				return err
			}
			cutoff := time.Now().Add(-olderThan)
			out := cmd.OutOrStdout()
			fmt.Fprintf(out, "deleting flows and sessions that expired before %s\n", cutoff.UTC().Format(time.RFC3339))
			start := time.Now()
			flows, sessions, err := runCleanup(ctx, st, cutoff, batch, out)
			if err != nil {
				return err
			}
			fmt.Fprintf(out, "done: %d flows and %d sessions deleted in %s\n", flows, sessions, time.Since(start).Round(time.Millisecond))
			return nil
		},
	}
	cmd.Flags().StringVarP(&cfgPath, "config", "c", "", "configuration file (YAML)")
	cmd.Flags().DurationVar(&olderThan, "older-than", 24*time.Hour, "delete rows that expired at least this long ago")
	cmd.Flags().IntVar(&batch, "batch", 1000, "rows deleted per statement (small batches keep locks short)")
	return cmd
}

// runCleanup deletes expired flows, then expired sessions, batch by batch, writing a progress
// line with the counts so far every few batches and when each table is done.
func runCleanup(ctx context.Context, st expiredDeleter, cutoff time.Time, batch int, progress io.Writer) (flows, sessions int, err error) {
	tables := []struct {
		name  string
		del   func(context.Context, time.Time, int) (int, error)
		count *int
	}{
		{"flows", st.DeleteFlowsExpiredBefore, &flows},
		{"sessions", st.DeleteSessionsExpiredBefore, &sessions},
	}
	for _, t := range tables {
		for batches := 1; ; batches++ {
			if err := ctx.Err(); err != nil {
				return flows, sessions, err
			}
			n, err := t.del(ctx, cutoff, batch)
			if err != nil {
				return flows, sessions, fmt.Errorf("delete expired %s: %w", t.name, err)
			}
			*t.count += n
			if n < batch {
				fmt.Fprintf(progress, "%s: %d deleted\n", t.name, *t.count)
				break
			}
			if batches%progressEvery == 0 {
				fmt.Fprintf(progress, "%s: %d deleted so far\n", t.name, *t.count)
			}
		}
	}
	return flows, sessions, nil
}
