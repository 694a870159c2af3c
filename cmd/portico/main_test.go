package main

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// binary builds portico once for the CLI tests.
func binary(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "portico")
	out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput()
	if err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	return bin
}

func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

const schemaFile = `{"$schema":"http://json-schema.org/draft-07/schema#","type":"object","properties":{"traits":{"type":"object","properties":{"email":{"type":"string","format":"email","ory.sh/kratos":{"credentials":{"password":{"identifier":true}}}}}}}}`

// writeConfig writes a configuration with a schema, a cookie secret and extra.
func writeConfig(t *testing.T, dir, dsn string, extra string) string {
	t.Helper()
	return writeBareConfig(t, dir, dsn, "secrets:\n  cookie: [\"a-cookie-secret-of-sufficient-length\"]\n"+extra)
}

// TestStartupFailuresAreOneClearLine: a broken config, an unreachable database and an
// un-migrated database each stop the binary with exit code 1 and one line, never a stack trace.
func TestStartupFailuresAreOneClearLine(t *testing.T) {
	bin := binary(t)
	dir := t.TempDir()
	cases := []struct {
		name string
		cfg  string
		want string
	}{
		{"bad port", writeConfigNamed(t, dir, "port", "sqlite://"+filepath.Join(dir, "a.db"), "serve:\n  public:\n    port: 70000\n"), "serve.public.port"},
		{"bad enum", writeConfigNamed(t, dir, "enum", "sqlite://"+filepath.Join(dir, "a.db"), "hashers:\n  algorithm: md5\n"), "hashers.algorithm"},
		{"unreachable database", writeConfigNamed(t, dir, "unreach", "postgres://postgres@127.0.0.1:1/x?sslmode=disable", ""), "the database cannot be reached"},
		{"un-migrated database", writeConfigNamed(t, dir, "fresh", "sqlite://"+filepath.Join(dir, "fresh.db"), ""), "portico migrate up"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			cmd := exec.CommandContext(ctx, bin, "serve", "-c", c.cfg)
			var stderr bytes.Buffer
			cmd.Stderr = &stderr
			err := cmd.Run()
			if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 1 {
				t.Fatalf("want exit code 1, got %v (stderr %q)", err, stderr.String())
			}
			out := strings.TrimSpace(stderr.String())
			if strings.Count(out, "\n") != 0 || !strings.HasPrefix(out, "portico: ") || !strings.Contains(out, c.want) {
				t.Fatalf("want one line naming %q, got:\n%s", c.want, out)
			}
			if strings.Contains(out, "goroutine ") {
				t.Fatalf("stack trace in output:\n%s", out)
			}
		})
	}
}

func writeConfigNamed(t *testing.T, dir, name, dsn, extra string) string {
	sub := filepath.Join(dir, name)
	if err := os.MkdirAll(sub, 0o700); err != nil {
		t.Fatal(err)
	}
	return writeConfig(t, sub, dsn, extra)
}

// TestMigrateThenServeThenShutDown: migrate up, serve answers ready, SIGTERM ends it cleanly.
func TestMigrateThenServeThenShutDown(t *testing.T) {
	bin := binary(t)
	dir := t.TempDir()
	pub, adm := freePort(t), freePort(t)
	cfg := writeConfig(t, dir, "sqlite://"+filepath.Join(dir, "p.db"),
		fmt.Sprintf("serve:\n  public:\n    host: 127.0.0.1\n    port: %d\n  admin:\n    host: 127.0.0.1\n    port: %d\n", pub, adm))
	if out, err := exec.Command(bin, "migrate", "sql", "-e", "--yes", "-c", cfg).CombinedOutput(); err != nil {
		t.Fatalf("migrate: %v\n%s", err, out)
	}
	out, err := exec.Command(bin, "migrate", "status", "-c", cfg).CombinedOutput()
	if err != nil || !strings.Contains(string(out), "applied") || strings.Contains(string(out), "pending") {
		t.Fatalf("status: %v\n%s", err, out)
	}
	cmd := exec.Command(bin, "serve", "-c", cfg)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	ready := false
	for i := 0; i < 100 && !ready; i++ {
		res, err := http.Get(fmt.Sprintf("http://127.0.0.1:%d/health/ready", pub))
		if err == nil {
			ready = res.StatusCode == http.StatusOK
			res.Body.Close()
		}
		if !ready {
			time.Sleep(100 * time.Millisecond)
		}
	}
	if !ready {
		t.Fatalf("server never became ready:\n%s", stderr.String())
	}
	res, err := http.Get(fmt.Sprintf("http://127.0.0.1:%d/admin/health/alive", adm))
	if err != nil || res.StatusCode != http.StatusOK {
		t.Fatalf("admin alive: %v", err)
	}
	res.Body.Close()
	stopCleanly(t, cmd, "serve", &stderr)
	if !strings.Contains(stderr.String(), "shutting down") {
		t.Fatalf("no shutdown line in:\n%s", stderr.String())
	}
}

// stopCleanly sends cmd SIGTERM and fails unless it exits with 0 within 30 s (an upper bound
// for a loaded machine, not a timing); what names the command, stderr is its log.
func stopCleanly(t *testing.T, cmd *exec.Cmd, what string, stderr fmt.Stringer) {
	t.Helper()
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("%s did not exit cleanly: %v\n%s", what, err, stderr.String())
		}
	case <-time.After(30 * time.Second):
		t.Fatalf("%s did not stop after SIGTERM", what)
	}
}
