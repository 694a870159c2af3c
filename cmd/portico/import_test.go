package main

import (
	"bytes"
	"compress/gzip"
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/portico-auth/portico/internal/store/sqlstore"
)

// TestImportKratosCommand runs `portico import kratos` on the Kratos SQLite fixture into a
// Portico SQLite file: a dry run writes nothing, a run imports, a second run changes nothing;
// the Kratos DSN may come from --kratos-config.
func TestImportKratosCommand(t *testing.T) {
	dir := t.TempDir()
	fixtures, err := filepath.Abs("../../internal/kratosimport/testdata")
	if err != nil {
		t.Fatal(err)
	}
	kratosDB := filepath.Join(dir, "kratos.sqlite")
	zf, err := os.Open(filepath.Join(fixtures, "kratos.sqlite.gz"))
	if err != nil {
		t.Fatal(err)
	}
	zr, err := gzip.NewReader(zf)
	if err != nil {
		t.Fatal(err)
	}
	raw, err := io.ReadAll(zr)
	_ = zf.Close()
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(kratosDB, raw, 0o600); err != nil {
		t.Fatal(err)
	}
	schemas := "identity:\n  default_schema_id: default\n  schemas:\n" +
		"    - id: default\n      url: file://" + filepath.Join(fixtures, "identity.schema.json") + "\n" +
		"    - id: customer\n      url: file://" + filepath.Join(fixtures, "customer.schema.json") + "\n"
	kratosCfg := filepath.Join(dir, "kratos.yml")
	if err := os.WriteFile(kratosCfg, []byte("dsn: sqlite://"+kratosDB+"?_fk=true&mode=rwc\n"+schemas), 0o600); err != nil {
		t.Fatal(err)
	}
	target := "sqlite://" + filepath.Join(dir, "portico.db")
	cfg := filepath.Join(dir, "portico.yml")
	if err := os.WriteFile(cfg, []byte("dsn: "+target+"\nsecrets:\n  cipher: [\"32-LONG-SECRET-NOT-SECURE-AT-ALL\"]\n"+schemas), 0o600); err != nil {
		t.Fatal(err)
	}
	st, err := sqlstore.Open(context.Background(), target)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if err := st.MigrateUp(context.Background(), nil); err != nil {
		t.Fatal(err)
	}
	importKratos := func(args ...string) string {
		t.Helper()
		var out bytes.Buffer
		cmd := importKratosCmd()
		cmd.SetOut(&out)
		cmd.SetErr(&out)
		cmd.SetArgs(append([]string{"-c", cfg}, args...))
		if err := cmd.ExecuteContext(context.Background()); err != nil {
			t.Fatalf("import kratos %v: %v\n%s", args, err, out.String())
		}
		return out.String()
	}
	for _, tc := range []struct {
		args []string
		want []string
	}{
		{[]string{"--from", "sqlite://" + kratosDB, "--sessions", "--dry-run"},
			[]string{"dry run: nothing was written", "identities: 15 read, 15 would import", "sessions: 9 read, 8 would import", "1 revoked or expired",
				"browsers sign in again, unless Portico's secrets.kratos_cookie lists Kratos's secrets.cookie"}},
		{[]string{"--kratos-config", kratosCfg, "--sessions"},
			[]string{"kratos import: 15 identities read", "identities: 15 read, 15 imported", "password 15", "totp 1", "lookup_secret 1", "webauthn 1", "oidc 1", "sessions: 9 read, 8 imported"}},
		{[]string{"--kratos-config", kratosCfg, "--sessions"},
			[]string{"identities: 15 read, 0 imported, 15 already present", "0 imported, 8 already present"}},
	} {
		out := importKratos(tc.args...)
		for _, w := range tc.want {
			if !strings.Contains(out, w) {
				t.Errorf("%v: output lacks %q:\n%s", tc.args, w, out)
			}
		}
	}
}
