package main

import (
	"context"
	"errors"
	"log/slog"

	"github.com/spf13/cobra"

	"github.com/portico-auth/portico/internal/config"
	"github.com/portico-auth/portico/internal/server"
	"github.com/portico-auth/portico/internal/store/sqlstore"
)

func courierCmd() *cobra.Command {
	return commandGroup("courier", "Deliver the messages Portico queues (email over SMTP, SMS and email over HTTP)", courierWatchCmd())
}

func courierWatchCmd() *cobra.Command {
	// Message content is sealed with the same secrets serve uses.
	return servingCmd("watch", "Deliver queued messages until stopped (any number may run beside serve: each message is sent once)",
		"development mode (as serve --dev: SQLite default, automatic migrations, the generated cookie secret)",
		func(ctx context.Context, _ *cobra.Command, cfg *config.Config, log *slog.Logger, st *sqlstore.Store) error {
			_, worker, err := server.NewCourier(ctx, cfg, st, log, nil)
			if err != nil {
				return err
			}
			if worker == nil {
				return errors.New("no channel can send messages: set courier.smtp.connection_uri (or courier.delivery_strategy: http)")
			}
			return worker.Run(ctx)
		})
}
