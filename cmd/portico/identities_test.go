package main

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/crypto/bcrypt"

	"github.com/portico-auth/portico/internal/apptest"
)

// runIdentities runs `portico identities ARGS` against s's admin API with stdin, and returns
// stdout, stderr and the error.
func runIdentities(t *testing.T, s *apptest.Server, stdin string, args ...string) (string, string, error) {
	t.Helper()
	var out, errOut bytes.Buffer
	cmd := identitiesCmd()
	cmd.SetOut(&out)
	cmd.SetErr(&errOut)
	cmd.SetIn(strings.NewReader(stdin))
	cmd.SetArgs(append(args, "--endpoint", s.Admin.URL))
	err := cmd.ExecuteContext(context.Background())
	return out.String(), errOut.String(), err
}

// TestIdentitiesCLI: import from a JSONL file, a JSON array and stdin (one bad identity
// reported, the rest imported), list in pages, get, export with credentials, delete
// everything, import the export back, and sign in with the password that came through.
func TestIdentitiesCLI(t *testing.T) {
	s := apptest.Start(t)
	hash, _ := bcrypt.GenerateFromPassword([]byte("cli-imported-password"), 4)
	dir := t.TempDir()
	jsonl := filepath.Join(dir, "people.jsonl")
	lines := `{"schema_id":"default","traits":{"email":"cli-1@example.com"},"credentials":{"password":{"config":{"hashed_password":"` + string(hash) + `"}}}}
{"schema_id":"default","traits":{"email":"cli-2@example.com"},"credentials":{"password":{"config":{"password":"a plain password to hash"}}}}
{"schema_id":"default","traits":{"email":"not an address"}}
`
	if err := os.WriteFile(jsonl, []byte(lines), 0o600); err != nil {
		t.Fatal(err)
	}
	array := filepath.Join(dir, "array.json")
	if err := os.WriteFile(array, []byte(`[{"schema_id":"default","traits":{"email":"cli-3@example.com"}},{"schema_id":"default","traits":{"email":"cli-4@example.com"}}]`), 0o600); err != nil {
		t.Fatal(err)
	}
	out, log, err := runIdentities(t, s, `{"schema_id":"default","traits":{"email":"cli-5@example.com"}}`, "import", jsonl, array, "-")
	if !errors.Is(err, errSomeFailed) || strings.Count(out, "\n") != 5 || !strings.Contains(log, "people.jsonl:3:") || !strings.Contains(log, "done: 6 read, 5 imported, 1 failed") {
		t.Fatalf("import: err %v\nstdout %s\nstderr %s", err, out, log)
	}
	ids := strings.Fields(out)

	out, log, err = runIdentities(t, s, "", "list", "--all", "--page-size", "2")
	if err != nil || strings.Count(out, "\n") != 5 {
		t.Fatalf("list --all: %v\n%s\n%s", err, out, log)
	}
	out, log, err = runIdentities(t, s, "", "list", "--page-size", "2")
	if err != nil || strings.Count(out, "\n") != 2 || !strings.Contains(log, "next page: --page-token") {
		t.Fatalf("list one page: %v\n%s\n%s", err, out, log)
	}
	out, _, err = runIdentities(t, s, "", "get", ids[0], "--include-credential", "password")
	if err != nil || !strings.Contains(out, `"hashed_password"`) || !strings.Contains(out, "cli-1@example.com") {
		t.Fatalf("get: %v\n%s", err, out)
	}

	export, log, err := runIdentities(t, s, "", "export")
	if err != nil || strings.Count(export, "\n") != 5 || strings.Count(export, `"hashed_password"`) != 2 || !strings.Contains(log, "exported 5 identities") {
		t.Fatalf("export: %v\n%s\n%s", err, export, log)
	}

	out, _, err = runIdentities(t, s, "", append([]string{"delete"}, ids...)...)
	if err != nil || strings.Count(out, "\n") != 5 {
		t.Fatalf("delete: %v\n%s", err, out)
	}
	if _, _, err := runIdentities(t, s, "", "delete", ids[0]); err == nil {
		t.Error("deleting an identity twice succeeded")
	}
	out, log, err = runIdentities(t, s, export, "import")
	if err != nil || strings.Count(out, "\n") != 5 {
		t.Fatalf("import of the export: %v\n%s\n%s", err, out, log)
	}
	s.LoginNative(t, "cli-1@example.com", "cli-imported-password")
	s.LoginNative(t, "cli-2@example.com", "a plain password to hash")

	if _, _, err := runIdentities(t, s, "", "get", "--endpoint", "ftp://nowhere"); err == nil {
		t.Error("a non-HTTP endpoint was accepted")
	}
}
