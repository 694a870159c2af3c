// Command portico is the Portico identity server: one binary that serves Ory Kratos's public
// and admin API, migrates its database and prints its version.
package main

import (
	"fmt"
	"os"

	"github.com/spf13/cobra"

	"github.com/portico-auth/portico/internal/version"
)

func main() {
	root := &cobra.Command{
		Use:           "portico",
		Short:         "Portico: an identity server that speaks Ory Kratos's API",
		SilenceUsage:  true,
		SilenceErrors: true,
		Version:       version.Version,
	}
	root.AddCommand(serveCmd(), migrateCmd(), cleanupCmd(), importCmd(), identitiesCmd(), courierCmd(), versionCmd())
	if err := root.Execute(); err != nil {
		// One clear line, never a stack trace.
		fmt.Fprintln(os.Stderr, "portico:", err)
		os.Exit(1)
	}
}

func versionCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print the version",
		Args:  cobra.NoArgs,
		Run: func(cmd *cobra.Command, _ []string) {
			fmt.Fprintln(cmd.OutOrStdout(), "portico", version.Version)
		},
	}
}
