package kratosimport_test

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/portico-auth/portico/internal/apptest"
	"github.com/portico-auth/portico/internal/apptest/mfatest"
	"github.com/portico-auth/portico/internal/kratosimport"
	"github.com/portico-auth/portico/internal/testdb"
)

// fixture is testdata/fixture-*.json: the facts of each identity Kratos wrote.
type fixture struct {
	NID        string `json:"nid"`
	Identities []struct {
		ID              string          `json:"id"`
		SchemaID        string          `json:"schema_id"`
		State           string          `json:"state"`
		ExternalID      *string         `json:"external_id"`
		MetadataPublic  json.RawMessage `json:"metadata_public"`
		MetadataAdmin   json.RawMessage `json:"metadata_admin"`
		LoginIdentifier string          `json:"login_identifier"`
		Password        string          `json:"password"`
		AvailableAAL    string          `json:"available_aal"`
		TOTPSecret      string          `json:"totp_secret"`
		LookupCodes     []string        `json:"lookup_codes"`
		LookupCodeUsed  string          `json:"lookup_code_used"`
		WebAuthn        *struct {
			CredentialID string `json:"credential_id_b64url"`
			RPID         string `json:"rp_id"`
			Origin       string `json:"origin"`
			UserHandle   string `json:"user_handle_b64url"`
			PrivateKey   string `json:"private_key_pem"`
		} `json:"webauthn"`
		Verifiable []struct {
			Value    string `json:"value"`
			Verified bool   `json:"verified"`
			Status   string `json:"status"`
		} `json:"verifiable_addresses"`
		// BrowserCookie is the ory_kratos_session cookie Kratos set for the browser session (erin).
		BrowserCookie *struct {
			Session string `json:"ory_kratos_session"`
		} `json:"browser_cookie"`
		Sessions []struct {
			ID     string `json:"id"`
			Token  string `json:"token"`
			Active bool   `json:"active"`
			AAL    string `json:"aal"`
		} `json:"sessions"`
	} `json:"identities"`
}

func readFixture(t *testing.T, name string) *fixture {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	var f fixture
	if err := json.Unmarshal(raw, &f); err != nil {
		t.Fatal(err)
	}
	if len(f.Identities) != 15 {
		t.Fatalf("%s: %d identities, want 15", name, len(f.Identities))
	}
	return &f
}

// sqliteSource unpacks the Kratos SQLite fixture into a temporary file and returns its DSN.
func sqliteSource(t *testing.T) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "kratos.sqlite")
	if err := os.WriteFile(path, gunzip(t, "kratos.sqlite.gz"), 0o600); err != nil {
		t.Fatal(err)
	}
	return "sqlite://" + path + "?_fk=true&mode=rwc"
}

func gunzip(t *testing.T, name string) []byte {
	t.Helper()
	f, err := os.Open(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	b, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// postgresSource loads the Kratos pg_dump into a throw-away database (dropped when the test
// ends) the way psql would (statements, then COPY … FROM stdin blocks) and returns its DSN.
func postgresSource(t *testing.T) string {
	t.Helper()
	base := testdb.ServerDSN(t, testdb.PostgresEnv)
	ctx := context.Background()
	admin, err := pgx.Connect(ctx, base)
	if err != nil {
		t.Fatal(err)
	}
	name := "kratos_fixture_" + strings.ReplaceAll(uuid.NewString()[:8], "-", "")
	if _, err := admin.Exec(ctx, "CREATE DATABASE "+name); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_, _ = admin.Exec(context.Background(), "DROP DATABASE "+name+" WITH (FORCE)")
		_ = admin.Close(context.Background())
	})
	cfg, err := pgx.ParseConfig(base)
	if err != nil {
		t.Fatal(err)
	}
	cfg.Database = name
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	sc := bufio.NewScanner(bytes.NewReader(gunzip(t, "kratos-postgres.sql.gz")))
	sc.Buffer(make([]byte, 1<<20), 1<<24)
	var stmt strings.Builder
	for sc.Scan() {
		line := sc.Text()
		if stmt.Len() == 0 && (strings.HasPrefix(line, "--") || strings.HasPrefix(line, `\`) || strings.TrimSpace(line) == "") {
			continue
		}
		stmt.WriteString(line)
		stmt.WriteString("\n")
		if !strings.HasSuffix(line, ";") {
			continue
		}
		s := stmt.String()
		stmt.Reset()
		if strings.HasPrefix(s, "COPY ") && strings.HasSuffix(strings.TrimSpace(s), "FROM stdin;") {
			var data bytes.Buffer
			for sc.Scan() && sc.Text() != `\.` {
				data.WriteString(sc.Text())
				data.WriteString("\n")
			}
			if _, err := conn.PgConn().CopyFrom(ctx, &data, s); err != nil {
				t.Fatalf("load kratos dump: %s: %v", strings.SplitN(s, "\n", 2)[0], err)
			}
			continue
		}
		if err := conn.PgConn().Exec(ctx, s).Close(); err != nil {
			t.Fatalf("load kratos dump: %s: %v", strings.SplitN(s, "\n", 2)[0], err)
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	u, err := url.Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	u.Path = "/" + name
	return u.String()
}

// portico starts a Portico with the fixture's Kratos configuration: both identity schemas,
// TOTP, lookup codes and WebAuthn (rp localhost) as second factors. dsn "" is apptest's
// default database; more options may follow.
func portico(t *testing.T, dsn string, more ...apptest.Option) *apptest.Server {
	t.Helper()
	abs, err := filepath.Abs("testdata")
	if err != nil {
		t.Fatal(err)
	}
	yaml := `identity:
  default_schema_id: default
  schemas:
    - id: default
      url: file://` + filepath.Join(abs, "identity.schema.json") + `
    - id: customer
      url: file://` + filepath.Join(abs, "customer.schema.json") + `
secrets:
  cipher: ["32-LONG-SECRET-NOT-SECURE-AT-ALL"]
`
	opts := []apptest.Option{
		apptest.WithConfig(yaml),
		apptest.WithEnv("SELFSERVICE_METHODS_TOTP_ENABLED", "true"),
		apptest.WithEnv("SELFSERVICE_METHODS_LOOKUP_SECRET_ENABLED", "true"),
		apptest.WithEnv("SELFSERVICE_METHODS_WEBAUTHN_ENABLED", "true"),
		apptest.WithEnv("SELFSERVICE_METHODS_WEBAUTHN_CONFIG_RP_ID", "localhost"),
		apptest.WithEnv("SELFSERVICE_METHODS_WEBAUTHN_CONFIG_RP_DISPLAY_NAME", "Harness"),
		apptest.WithEnv("SELFSERVICE_METHODS_WEBAUTHN_CONFIG_RP_ORIGINS", "http://localhost:4455"),
	}
	if dsn != "" {
		opts = append(opts, apptest.WithDSN(dsn))
	}
	return apptest.Start(t, append(opts, more...)...)
}

func run(t *testing.T, s *apptest.Server, from string, change func(*kratosimport.Options)) *kratosimport.Report {
	t.Helper()
	src, err := kratosimport.Open(context.Background(), from, kratosimport.OpenOptions{})
	if err != nil {
		t.Fatalf("open kratos database: %v", err)
	}
	defer src.Close()
	opts := kratosimport.Options{
		Target:   s.App.Store,
		Schemas:  s.App.Schemas,
		Secrets:  append(append([]string{}, s.Config.Secrets.Cipher...), s.Config.CookieSecrets()...),
		Sessions: true,
		Now:      s.Clock.Now,
	}
	if change != nil {
		change(&opts)
	}
	rep, err := kratosimport.Run(context.Background(), src, opts)
	if err != nil {
		t.Fatalf("import: %v", err)
	}
	return rep
}

func TestImportKratosSQLite(t *testing.T) {
	t.Parallel()
	importAndSignIn(t, sqliteSource(t), readFixture(t, "fixture-sqlite.json"), "")
}

func TestImportKratosPostgres(t *testing.T) {
	t.Parallel()
	from := postgresSource(t)
	target := testdb.PostgresSchema(t, testdb.ServerDSN(t, testdb.PostgresEnv))
	importAndSignIn(t, from, readFixture(t, "fixture-postgres.json"), target)
}

// importAndSignIn imports the fixture database, imports it again (nothing changes), and then
// has every person of the fixture sign in with each factor they have, and every imported
// session token answer whoami.
func importAndSignIn(t *testing.T, from string, fx *fixture, targetDSN string) {
	s := portico(t, targetDSN)

	dry := run(t, s, from, func(o *kratosimport.Options) { o.DryRun = true })
	if dry.Identities.Imported != 15 || dry.Sessions.Imported != 8 {
		t.Fatalf("dry run would import %d identities and %d sessions, want 15 and 8", dry.Identities.Imported, dry.Sessions.Imported)
	}
	if n := countIdentities(t, s); n != 0 {
		t.Fatalf("a dry run wrote %d identities", n)
	}

	first := run(t, s, from, nil)
	if first.Identities.Read != 15 || first.Identities.Imported != 15 || first.Identities.NotImportable != 0 {
		t.Fatalf("first import: %+v, problems %v", first.Identities, first.Problems)
	}
	if first.Sessions.Imported != 8 || first.Sessions.Inactive != 1 {
		t.Errorf("first import sessions: %+v (want 8 imported, dave's revoked one left)", first.Sessions)
	}
	wantCreds := map[string]int{"password": 15, "totp": 1, "lookup_secret": 1, "webauthn": 1, "oidc": 1}
	for typ, n := range wantCreds {
		if got := first.Credentials[credType(typ)]; got != n {
			t.Errorf("%s credentials imported: %d, want %d", typ, got, n)
		}
	}
	if len(first.Dropped) != 0 || len(first.Warnings) != 0 {
		t.Errorf("left behind %v, warnings %v", first.Dropped, first.Warnings)
	}
	before := snapshot(t, s, fx)
	second := run(t, s, from, nil)
	if second.Identities.Imported != 0 || second.Identities.Present != 15 || second.Sessions.Imported != 0 || second.Sessions.Present != 8 {
		t.Fatalf("second import changed something: %+v %+v", second.Identities, second.Sessions)
	}
	if after := snapshot(t, s, fx); after != before {
		t.Fatalf("the second import changed the stored identities:\nbefore %s\nafter  %s", before, after)
	}

	for _, p := range fx.Identities {
		t.Run(p.LoginIdentifier, func(t *testing.T) {
			checkIdentity(t, s, p.ID, p.ExternalID, p.MetadataPublic, p.State, len(p.Verifiable) > 0 && p.Verifiable[0].Verified)
			for _, ss := range p.Sessions {
				who := whoami(t, s, ss.Token)
				switch {
				case !ss.Active && who.StatusCode != http.StatusUnauthorized:
					t.Errorf("revoked session %s: whoami %d, want 401", ss.ID, who.StatusCode)
				case ss.Active && who.StatusCode != http.StatusOK:
					t.Errorf("session %s: whoami %d %s", ss.ID, who.StatusCode, who.Body)
				case ss.Active:
					m := who.Map(t)
					if mfatest.Str(m, "id") != ss.ID || mfatest.Str(m, "identity", "id") != p.ID || mfatest.Str(m, "authenticator_assurance_level") != ss.AAL {
						t.Errorf("session %s: whoami %s", ss.ID, who.Body)
					}
				}
			}
			signIn(t, s, p.LoginIdentifier, p.Password, p.State == "active", func(party *mfatest.Party) {
				switch {
				case p.TOTPSecret != "":
					stepUpTOTP(t, s, party, p.TOTPSecret)
				case len(p.LookupCodes) > 0:
					stepUpLookup(t, party, p.LookupCodes, p.LookupCodeUsed)
				case p.WebAuthn != nil:
					stepUpWebAuthn(t, party, p.WebAuthn.CredentialID, p.WebAuthn.UserHandle, p.WebAuthn.RPID, p.WebAuthn.Origin, p.WebAuthn.PrivateKey)
				}
			}, p.AvailableAAL == "aal2")
		})
	}
}
