package server_test

import (
	"bytes"
	"context"
	"log/slog"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/portico-auth/portico/internal/apptest"
)

// lockedBuffer is a log sink shared by the app's logger and slog's default.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// TestClientGoneIsNotAServerError: issue 11 finding 12. A client that disconnects cancels its
// request's context; the database call that fails because of it used to be logged at ERROR
// and counted as a 500. The requests here carry a cancelled context exactly as net/http hands
// one to the handler after the client went away, through the whole instrumented server.
func TestClientGoneIsNotAServerError(t *testing.T) {
	logs := &lockedBuffer{}
	logger := slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	prev := slog.Default()
	slog.SetDefault(logger)
	t.Cleanup(func() { slog.SetDefault(prev) })
	s := apptest.Start(t, apptest.WithLogger(logger))
	email, pw := "gone@example.com", "a sturdy passphrase"
	ident := s.CreateIdentity(t, email, pw)
	token := s.LoginNative(t, email, pw)

	type target struct {
		name    string
		admin   bool
		method  string
		path    string
		headers map[string]string
	}
	for _, tg := range []target{
		{"whoami", false, "GET", "/sessions/whoami", map[string]string{"X-Session-Token": token, "Accept": "application/json"}},
		{"settings, browser", false, "GET", "/self-service/settings/browser", map[string]string{"Cookie": "ory_kratos_session=" + token, "Accept": "text/html"}},
		{"admin list", true, "GET", "/admin/identities", nil},
		{"admin get", true, "GET", "/admin/identities/" + ident.ID.String(), nil},
	} {
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		req := httptest.NewRequestWithContext(ctx, tg.method, tg.path, nil)
		h := s.App.Public
		req.Host = strings.TrimPrefix(s.Public.URL, "http://")
		if tg.admin {
			h = s.App.Admin
			req.Host = strings.TrimPrefix(s.Admin.URL, "http://")
		}
		for k, v := range tg.headers {
			req.Header.Set(k, v)
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code >= 500 {
			t.Errorf("%s with the client gone: %d (want 499, not a server error)", tg.name, rec.Code)
		}
	}
	if out := logs.String(); strings.Contains(out, "level=ERROR") {
		t.Errorf("a client that went away was logged as an error:\n%s", out)
	}
	metrics := s.Native(t).Get(s.AdminURL("/admin/metrics/prometheus"))
	if strings.Contains(string(metrics.Body), `code="500"`) {
		t.Errorf("a client that went away was counted as a 500")
	}
}
