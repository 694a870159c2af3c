package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/portico-auth/portico/internal/kratosimport"
	"github.com/portico-auth/portico/internal/server"
)

func importCmd() *cobra.Command {
	return commandGroup("import", "Import from another identity server", importKratosCmd())
}

func importKratosCmd() *cobra.Command {
	var (
		cfgPath, from, kratosConfig, nid string
		sessions, dryRun, allowUnknown   bool
		jsonReport                       bool
		batch                            int
	)
	cmd := &cobra.Command{
		Use:   "kratos --from <kratos DSN> -c <portico config>",
		Short: "Import the identities, credentials and sessions of a Kratos database",
		Long: "Reads a Kratos database (SQLite, PostgreSQL or MySQL) and writes its identities into\n" +
			"Portico's database (the dsn of the Portico configuration): traits, metadata, state,\n" +
			"external ids, addresses, password hashes as they are, TOTP, lookup codes, WebAuthn keys\n" +
			"and passkeys, OIDC links (kept for later) and, with --sessions, the active sessions, whose\n" +
			"tokens keep working. Identities already in Portico are left as they are, so the import can\n" +
			"be run again (to finish an interrupted run, or to pick up identities made since).\n" +
			"Portico's configuration must have every identity schema the Kratos identities use.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			out := cmd.OutOrStdout()
			var kc *kratosimport.KratosConfig
			if kratosConfig != "" {
				var err error
				if kc, err = kratosimport.ReadKratosConfig(ctx, kratosConfig); err != nil {
					return err
				}
				for id, why := range kc.Unloadable {
					fmt.Fprintf(cmd.ErrOrStderr(), "note: Kratos's identity schema %q could not be loaded (%s); it is not compared with Portico's\n", id, why)
				}
				if from == "" {
					from = kc.DSN
				}
			}
			if from == "" {
				return errors.New("give the Kratos database with --from (or --kratos-config naming its dsn)")
			}
			cfg, _, err := loadConfig(cfgPath, false)
			if err != nil {
				return err
			}
			schemas, err := server.Schemas(ctx, cfg)
			if err != nil {
				return err
			}
			src, err := kratosimport.Open(ctx, from, kratosimport.OpenOptions{NID: nid, AllowUnknownColumns: allowUnknown})
			if err != nil {
				return err
			}
			defer src.Close()
			st, err := openMigratedStore(ctx, cfg.DSN)
			if err != nil {
				return err
			}
			defer st.Close()
			opts := kratosimport.Options{
				Target:   st,
				Schemas:  schemas,
				Secrets:  cfg.SealSecrets(),
				Sessions: sessions,
				// Only to report whether browsers stay signed in (serve reads the key).
				BrowserCookieSecrets: cfg.Secrets.KratosCookie,
				DryRun:               dryRun,
				Progress:             cmd.ErrOrStderr(),
				BatchSize:            batch,
				Now:                  time.Now,
			}
			if kc != nil {
				opts.KratosSchemas, opts.KratosSchemaDocs = kc.SchemaURLs, kc.SchemaDocs
				opts.KratosCookieSecrets = kc.CookieSecrets
			}
			rep, err := kratosimport.Run(ctx, src, opts)
			if jsonReport {
				enc := json.NewEncoder(out)
				enc.SetIndent("", "  ")
				if eerr := enc.Encode(rep); eerr != nil {
					return eerr
				}
			} else if rep != nil {
				rep.WriteSummary(out)
			}
			if err != nil {
				return fmt.Errorf("import stopped (run it again to go on where it stopped): %w", err)
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVarP(&cfgPath, "config", "c", "", "Portico's configuration file (YAML): its dsn is written to")
	f.StringVar(&from, "from", "", "the Kratos database, as Kratos's dsn (sqlite://…, postgres://…, mysql://…)")
	f.StringVar(&kratosConfig, "kratos-config", "", "Kratos's configuration file: its identity schemas are compared with Portico's (and its dsn used without --from)")
	f.StringVar(&nid, "nid", "", "the Kratos network to import, when the database holds more than one")
	f.BoolVar(&sessions, "sessions", false, "also import the active sessions, so that nobody is signed out by the move")
	f.BoolVar(&dryRun, "dry-run", false, "read and check everything, write nothing, and report what would be imported and what cannot be")
	f.BoolVar(&allowUnknown, "allow-unknown-columns", false, "import a database of a newer Kratos whose extra columns this importer does not know (their content is left behind)")
	f.BoolVar(&jsonReport, "json", false, "print the report as JSON")
	f.IntVar(&batch, "batch", 1000, "identities read and reported per batch")
	return cmd
}
