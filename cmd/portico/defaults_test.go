package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// writeBareConfig writes a configuration with a schema and extra, and no secrets.
func writeBareConfig(t *testing.T, dir, dsn, extra string) string {
	t.Helper()
	schema := filepath.Join(dir, "identity.schema.json")
	if err := os.WriteFile(schema, []byte(schemaFile), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg := fmt.Sprintf("dsn: %q\nidentity:\n  schemas:\n    - id: default\n      url: file://%s\n%s", dsn, schema, extra)
	path := filepath.Join(dir, "portico.yml")
	if err := os.WriteFile(path, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestServeRefusesMissingOrWeakSecrets: without --dev, serve with no cookie secret (or one
// copied from an example) would start and then answer 500 to every re-authenticated change;
// it stops at once with one line naming the key instead. migrate needs no secrets.
func TestServeRefusesMissingOrWeakSecrets(t *testing.T) {
	bin := binary(t)
	cases := []struct {
		name, secrets, want string
	}{
		{"none", "", "secrets.cookie: required without --dev"},
		{"empty list", "secrets:\n  cookie: []\n", "secrets.cookie: required without --dev"},
		{"cipher only", "secrets:\n  cipher: [\"0123456789abcdef0123456789abcdef\"]\n", "secrets.cookie: required without --dev"},
		{"quickstart cookie", "secrets:\n  cookie: [\"PLEASE-CHANGE-ME-I-AM-VERY-INSECURE\"]\n", "secrets.cookie[0]: looks like a placeholder"},
		{"quickstart cipher", "secrets:\n  cookie: [\"a-cookie-secret-of-sufficient-length\"]\n  cipher: [\"32-LONG-SECRET-NOT-SECURE-AT-ALL\"]\n", "secrets.cipher[0]: looks like a placeholder"},
		{"one character", "secrets:\n  default: [\"aaaaaaaaaaaaaaaaaaaaaaaa\"]\n", "secrets.default[0]: has only 1 different characters"},
		{"too short", "secrets:\n  cookie: [\"short-secret\"]\n", "secrets.cookie[0]: must be at least 16 characters"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			cfg := writeBareConfig(t, dir, "sqlite://"+filepath.Join(dir, "p.db"), fmt.Sprintf(
				"serve:\n  public:\n    host: 127.0.0.1\n    port: %d\n  admin:\n    port: %d\n%s", freePort(t), freePort(t), c.secrets))
			// A database that is ready, so that only the secrets can stop serve; migrate
			// itself needs none (it may refuse a malformed one like every command).
			if out, err := exec.Command(bin, "migrate", "up", "-c", cfg).CombinedOutput(); err != nil && c.name != "too short" {
				t.Fatalf("migrate without usable secrets: %v\n%s", err, out)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
			defer cancel()
			cmd := exec.CommandContext(ctx, bin, "serve", "-c", cfg)
			var stderr bytes.Buffer
			cmd.Stderr = &stderr
			err := cmd.Run()
			if ctx.Err() != nil {
				t.Fatalf("serve kept running without a usable secret:\n%s", stderr.String())
			}
			var ee *exec.ExitError
			if !errors.As(err, &ee) || ee.ExitCode() != 1 {
				t.Fatalf("want exit code 1, got %v (stderr %q)", err, stderr.String())
			}
			out := strings.TrimSpace(stderr.String())
			if strings.Count(out, "\n") != 0 || !strings.HasPrefix(out, "portico: ") || !strings.Contains(out, c.want) {
				t.Fatalf("want one line naming %q, got:\n%s", c.want, out)
			}
			for _, secret := range []string{"PLEASE-CHANGE-ME", "NOT-SECURE", "aaaaaaaa", "short-secret"} {
				if strings.Contains(out, secret) {
					t.Fatalf("the error echoes the secret: %s", out)
				}
			}
		})
	}
}

// TestAdminListensOnLoopbackByDefault: with serve.admin.host unset the admin API (which has no
// authentication) binds 127.0.0.1, the public API stays on every interface, and the start
// lines say where each listener is.
func TestAdminListensOnLoopbackByDefault(t *testing.T) {
	bin := binary(t)
	dir := t.TempDir()
	pub, adm := freePort(t), freePort(t)
	cfg := writeConfig(t, dir, "sqlite://"+filepath.Join(dir, "p.db"),
		fmt.Sprintf("serve:\n  public:\n    port: %d\n  admin:\n    port: %d\nlog:\n  format: json\n", pub, adm))
	if out, err := exec.Command(bin, "migrate", "up", "-c", cfg).CombinedOutput(); err != nil {
		t.Fatalf("migrate: %v\n%s", err, out)
	}
	cmd := exec.Command(bin, "serve", "-c", cfg)
	var stderr syncBuffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	waitReady(t, fmt.Sprintf("http://127.0.0.1:%d/health/ready", pub), &stderr)

	addrs := map[string]string{}
	sc := bufio.NewScanner(strings.NewReader(stderr.String()))
	for sc.Scan() {
		var line struct{ Msg, Listener, Address string }
		if json.Unmarshal(sc.Bytes(), &line) == nil && line.Msg == "listening" {
			addrs[line.Listener] = line.Address
		}
	}
	if got, want := addrs["admin"], fmt.Sprintf("127.0.0.1:%d", adm); got != want {
		t.Errorf("admin listens on %q, want %q (start lines:\n%s)", got, want, stderr.String())
	}
	if got := addrs["public"]; got != fmt.Sprintf("[::]:%d", pub) && got != fmt.Sprintf("0.0.0.0:%d", pub) {
		t.Errorf("public listens on %q, want every interface", got)
	}
	// From another address of this machine the admin port is closed and the public one open.
	if ip := nonLoopbackIP(); ip != "" {
		if c, err := net.DialTimeout("tcp", net.JoinHostPort(ip, fmt.Sprint(adm)), 2*time.Second); err == nil {
			c.Close()
			t.Errorf("the admin port answers on %s", ip)
		}
		c, err := net.DialTimeout("tcp", net.JoinHostPort(ip, fmt.Sprint(pub)), 2*time.Second)
		if err != nil {
			t.Errorf("the public port does not answer on %s: %v", ip, err)
		} else {
			c.Close()
		}
	}
	res, err := http.Get(fmt.Sprintf("http://127.0.0.1:%d/admin/health/alive", adm))
	if err != nil || res.StatusCode != http.StatusOK {
		t.Fatalf("admin on loopback: %v", err)
	}
	res.Body.Close()
}

func nonLoopbackIP() string {
	addrs, err := net.InterfaceAddrs()
	if err != nil {
		return ""
	}
	for _, a := range addrs {
		if n, ok := a.(*net.IPNet); ok && !n.IP.IsLoopback() && n.IP.To4() != nil && !n.IP.IsLinkLocalUnicast() {
			return n.IP.String()
		}
	}
	return ""
}

func waitReady(t *testing.T, url string, stderr fmt.Stringer) {
	t.Helper()
	for i := 0; i < 150; i++ {
		res, err := http.Get(url)
		if err == nil {
			res.Body.Close()
			if res.StatusCode == http.StatusOK {
				return
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("server never became ready:\n%s", stderr.String())
}

// syncBuffer is a bytes.Buffer a child process writes to while the test reads it.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
