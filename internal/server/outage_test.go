package server_test

import (
	"context"
	"database/sql"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"sync"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib"

	"github.com/portico-auth/portico/internal/apptest"
)

// proxy forwards TCP connections to a database until cut, when it drops every connection and
// refuses new ones: a database outage as the server sees it.
type proxy struct {
	ln    net.Listener
	mu    sync.Mutex
	conns []net.Conn
}

func newProxy(t *testing.T, target string) *proxy {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &proxy{ln: ln}
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			d, err := net.Dial("tcp", target)
			if err != nil {
				c.Close()
				continue
			}
			p.mu.Lock()
			p.conns = append(p.conns, c, d)
			p.mu.Unlock()
			go func() { _, _ = io.Copy(d, c); d.Close() }()
			go func() { _, _ = io.Copy(c, d); c.Close() }()
		}
	}()
	t.Cleanup(p.cut)
	return p
}

func (p *proxy) cut() {
	_ = p.ln.Close()
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, c := range p.conns {
		_ = c.Close()
	}
	p.conns = nil
}

// TestDatabaseOutageIs503: when the database goes away, a request with a valid session gets
// 503 with error JSON — never a 401 (which would sign people out) and never a driver message.
func TestDatabaseOutageIs503(t *testing.T) {
	base := os.Getenv("PORTICO_TEST_POSTGRES_DSN")
	if base == "" {
		if os.Getenv("CI") == "true" {
			t.Fatal("PORTICO_TEST_POSTGRES_DSN is not set, but CI=true requires the PostgreSQL tests")
		}
		t.Skip("PORTICO_TEST_POSTGRES_DSN not set")
	}
	u, err := url.Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	// A schema of its own, reached through the proxy.
	admin, err := sql.Open("pgx", base)
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	schema := fmt.Sprintf("outage_%d", time.Now().UnixNano())
	if _, err := admin.Exec("CREATE SCHEMA " + schema); err != nil {
		t.Fatal(err)
	}
	defer func() { _, _ = admin.Exec("DROP SCHEMA " + schema + " CASCADE") }()
	p := newProxy(t, u.Host)
	u.Host = p.ln.Addr().String()
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()

	s := apptest.Start(t, apptest.WithDSN(u.String()))
	email, pw := "outage@example.com", "a passphrase for bad days"
	s.CreateIdentity(t, email, pw)
	token := s.LoginNative(t, email, pw)
	app := s.Native(t)
	app.Header.Set("X-Session-Token", token)
	if r := app.Get(s.PublicURL("/sessions/whoami")); r.StatusCode != http.StatusOK {
		t.Fatalf("whoami before the outage: %d", r.StatusCode)
	}

	p.cut()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	_ = ctx
	for name, target := range map[string]string{
		"whoami":            s.PublicURL("/sessions/whoami"),
		"settings (AJAX)":   s.PublicURL("/self-service/settings/browser"),
		"settings (native)": s.PublicURL("/self-service/settings/api"),
		"ready":             s.PublicURL("/health/ready"),
	} {
		r := app.Get(target)
		if r.StatusCode != http.StatusServiceUnavailable {
			t.Errorf("%s during the outage: %d %s (want 503)", name, r.StatusCode, r.Body)
		}
		for _, leak := range []string{"dial", "connection refused", "pgx", "127.0.0.1"} {
			if name != "ready" && contains(r.Body, leak) {
				t.Errorf("%s leaks %q: %s", name, leak, r.Body)
			}
		}
	}
	// A login attempt during the outage is not "invalid credentials" either.
	f := s.Native(t).Get(s.PublicURL("/self-service/login/api"))
	if f.StatusCode != http.StatusServiceUnavailable {
		t.Errorf("login flow during the outage: %d %s", f.StatusCode, f.Body)
	}
}

func contains(b []byte, s string) bool { return len(s) > 0 && bytesIndex(b, s) >= 0 }

func bytesIndex(b []byte, s string) int {
	for i := 0; i+len(s) <= len(b); i++ {
		if string(b[i:i+len(s)]) == s {
			return i
		}
	}
	return -1
}
