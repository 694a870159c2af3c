package main

import (
	"errors"

	"github.com/spf13/cobra"

	"github.com/portico-auth/portico/internal/server"
)

func courierCmd() *cobra.Command {
	return commandGroup("courier", "Deliver the messages Portico queues (email over SMTP, SMS and email over HTTP)", courierWatchCmd())
}

func courierWatchCmd() *cobra.Command {
	var cfgPath string
	var dev bool
	cmd := &cobra.Command{
		Use:   "watch",
		Short: "Deliver queued messages until stopped (any number may run beside serve: each message is sent once)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			// Message content is sealed with the same secrets serve uses.
			ctx, cfg, log, st, stop, err := startServing(cmd, cfgPath, dev)
			if err != nil {
				return err
			}
			defer stop()
			_, worker, err := server.NewCourier(ctx, cfg, st, log, nil)
			if err != nil {
				return err
			}
			if worker == nil {
				return errors.New("no channel can send messages: set courier.smtp.connection_uri (or courier.delivery_strategy: http)")
			}
			return worker.Run(ctx)
		},
	}
	cmd.Flags().StringVarP(&cfgPath, "config", "c", "", "configuration file (YAML)")
	cmd.Flags().BoolVar(&dev, "dev", false, "development mode (as serve --dev: SQLite default, automatic migrations, the generated cookie secret)")
	return cmd
}
