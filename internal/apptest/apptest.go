// Package apptest starts a whole Portico behind httptest for tests that speak HTTP the way a
// browser or an app does: both listeners, a real database (SQLite in memory by default, or the
// DSN in PORTICO_TEST_DSN), a fake clock, and helpers to act as a browser or a native app.
package apptest

import (
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/portico-auth/portico/internal/config"
	"github.com/portico-auth/portico/internal/server"
	"github.com/portico-auth/portico/internal/store/sqlstore"
)

// Clock is a fake clock that only moves when told to.
type Clock struct {
	mu  sync.Mutex
	now time.Time
}

// Now returns the fake time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// Advance moves the clock forward by d.
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// Server is a running Portico.
type Server struct {
	App    *server.App
	Public *httptest.Server
	Admin  *httptest.Server
	Clock  *Clock
	Config *config.Config
	// Store is the database the server runs on (App.Store is it with the login throttle's
	// counters kept apart per server, see throttleKeys).
	Store *sqlstore.Store
}

// Option adjusts the server before it starts.
type Option func(*options)

type options struct {
	env     map[string]string
	yaml    string
	dsn     string
	log     *slog.Logger
	courier bool
}

// WithEnv sets a configuration key through its environment variable name
// (e.g. "SELFSERVICE_FLOWS_SETTINGS_REQUIRED_AAL", "aal1").
func WithEnv(name, value string) Option {
	return func(o *options) { o.env[name] = value }
}

// WithConfig starts the server with this YAML configuration file content (environment
// overrides still apply on top).
func WithConfig(yaml string) Option {
	return func(o *options) { o.yaml = yaml }
}

// ShowVerificationUI is a configuration (for WithConfig) whose password sign-up signs in and
// continues to the verification of the new address (the session and show_verification_ui
// hooks), as Kratos's quickstart does.
const ShowVerificationUI = `
selfservice:
  flows:
    registration:
      after:
        password:
          hooks:
            - hook: session
            - hook: show_verification_ui
`

// WithLogger gives the server this logger instead of one that discards everything.
func WithLogger(l *slog.Logger) Option {
	return func(o *options) { o.log = l }
}

// WithCourierWorker runs the courier's worker beside the server, polling every 20 ms, so
// that queued messages go out as they would under serve (set COURIER_SMTP_CONNECTION_URI to
// a couriertest mailbox's URI). The worker uses the fake clock: a retry waits for Advance.
func WithCourierWorker() Option {
	return func(o *options) { o.courier = true }
}

// WithDSN uses this database instead of a fresh in-memory SQLite.
func WithDSN(dsn string) Option {
	return func(o *options) { o.dsn = dsn }
}

// Start starts a Portico for the test and stops it when the test ends. The public base URL is
// the httptest server's own URL, so redirects and cookies point back at it.
func Start(t testing.TB, opts ...Option) *Server {
	t.Helper()
	o := &options{env: map[string]string{}}
	for _, f := range opts {
		f(o)
	}
	pubLn := listen(t)
	admLn := listen(t)
	pubURL := "http://" + pubLn.Addr().String() + "/"
	admURL := "http://" + admLn.Addr().String() + "/"

	env := map[string]string{
		"SERVE_PUBLIC_BASE_URL": pubURL,
		"SERVE_ADMIN_BASE_URL":  admURL,
		"HASHERS_BCRYPT_COST":   "4",
		"HASHERS_ALGORITHM":     "bcrypt",
		"SECRETS_COOKIE":        "a-test-cookie-secret-of-32-chars",
		"LOG_LEVEL":             "error",
		// Tests start from Kratos's defaults, not from the dev server's extra factors.
		"SELFSERVICE_METHODS_TOTP_ENABLED":          "false",
		"SELFSERVICE_METHODS_LOOKUP_SECRET_ENABLED": "false",
	}
	dsn := o.dsn
	if dsn == "" {
		dsn = os.Getenv("PORTICO_TEST_DSN")
	}
	if dsn == "" {
		dsn = "memory"
	}
	env["DSN"] = dsn
	for k, v := range o.env {
		env[k] = v
	}
	path := ""
	if o.yaml != "" {
		path = filepath.Join(t.TempDir(), "portico.yml")
		if err := os.WriteFile(path, []byte(o.yaml), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	cfg, _, err := config.Load(path, config.LoadOptions{Dev: true, Env: func(k string) (string, bool) {
		v, ok := env[k]
		return v, ok
	}})
	if err != nil {
		t.Fatalf("apptest: config: %v", err)
	}
	ctx := context.Background()
	st, err := sqlstore.Open(ctx, cfg.DSN)
	if err != nil {
		t.Fatalf("apptest: open store: %v", err)
	}
	t.Cleanup(func() { _ = st.Close() })
	st.SetIdentityCacheSize(cfg.Serve.IdentityCacheSize)
	if err := st.MigrateUp(ctx, nil); err != nil {
		t.Fatalf("apptest: migrate: %v", err)
	}
	clock := &Clock{now: time.Now().UTC().Truncate(time.Microsecond)}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	if testing.Verbose() && os.Getenv("PORTICO_TEST_LOG") != "" {
		log = slog.New(slog.NewTextHandler(os.Stderr, nil))
	}
	if o.log != nil {
		log = o.log
	}
	keyed := newThrottleKeys(st)
	t.Cleanup(keyed.clear)
	app, err := server.Build(ctx, cfg, keyed, log, clock.Now)
	if err != nil {
		t.Fatalf("apptest: build: %v", err)
	}
	t.Cleanup(func() {
		// Background web hook calls end before the test does (and before the apps they call).
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		_ = app.WebHooks.Wait(ctx)
	})
	s := &Server{App: app, Clock: clock, Config: cfg, Store: st}
	if o.courier {
		if app.CourierWorker == nil {
			t.Fatal("apptest: WithCourierWorker needs a channel: set COURIER_SMTP_CONNECTION_URI")
		}
		app.CourierWorker.PullWait = 20 * time.Millisecond
		t.Cleanup(app.StartCourier(context.Background()))
	}
	s.Public = serve(t, pubLn, app.Public)
	s.Admin = serve(t, admLn, app.Admin)
	return s
}

func listen(t testing.TB) net.Listener {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("apptest: listen: %v", err)
	}
	return ln
}

func serve(t testing.TB, ln net.Listener, h http.Handler) *httptest.Server {
	ts := httptest.NewUnstartedServer(h)
	_ = ts.Listener.Close()
	ts.Listener = ln
	ts.Start()
	t.Cleanup(ts.Close)
	return ts
}

// PublicURL joins path to the public base URL ("/self-service/login/api" → "http://…/self-service/login/api").
func (s *Server) PublicURL(path string) string {
	return strings.TrimSuffix(s.Public.URL, "/") + path
}

// AdminURL joins path to the admin base URL.
func (s *Server) AdminURL(path string) string {
	return strings.TrimSuffix(s.Admin.URL, "/") + path
}
