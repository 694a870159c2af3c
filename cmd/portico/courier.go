package main

import (
	"errors"
	"os"
	"os/signal"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/portico-auth/portico/internal/server"
)

func courierCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "courier",
		Short: "Deliver the messages Portico queues (email over SMTP, SMS and email over HTTP)",
	}
	cmd.AddCommand(courierWatchCmd())
	return cmd
}

func courierWatchCmd() *cobra.Command {
	var cfgPath string
	var dev bool
	cmd := &cobra.Command{
		Use:   "watch",
		Short: "Deliver queued messages until stopped (any number may run beside serve: each message is sent once)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, warnings, err := loadConfig(cfgPath, dev)
			if err != nil {
				return err
			}
			// Message content is sealed with the same secrets serve uses.
			if err := cfg.CheckServeSecrets(); err != nil {
				return err
			}
			log := newLogger(cfg)
			for _, w := range warnings {
				log.Warn(w)
			}
			ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			st, err := openForServing(ctx, cfg, dev, log)
			if err != nil {
				return err
			}
			defer st.Close()
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
