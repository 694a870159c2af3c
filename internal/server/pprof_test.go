package server

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/portico-auth/portico/internal/config"
)

func TestWithPprof(t *testing.T) {
	next := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusTeapot) })
	cfg := &config.Config{Serve: config.Serve{Admin: config.Listener{Host: "127.0.0.1", BaseURL: "http://127.0.0.1:4434/"}}}
	h := WithPprof(next, cfg)
	tests := []struct {
		path, host string
		want       int
		contains   string
	}{
		{"/debug/pprof/", "127.0.0.1:4434", http.StatusOK, "goroutine"},
		{"/debug/pprof/heap?debug=1", "localhost:4434", http.StatusOK, "heap profile"},
		{"/debug/pprof/cmdline", "127.0.0.1:4434", http.StatusOK, ""},
		{"/admin/identities", "127.0.0.1:4434", http.StatusTeapot, ""},
		{"/debug/pprofx", "127.0.0.1:4434", http.StatusTeapot, ""},
		// A DNS-rebinding page must not read a heap profile.
		{"/debug/pprof/heap?debug=1", "rebound.attacker.example:4434", http.StatusForbidden, ""},
	}
	for _, tt := range tests {
		t.Run(tt.path+" "+tt.host, func(t *testing.T) {
			rec := httptest.NewRecorder()
			req := httptest.NewRequest(http.MethodGet, tt.path, nil)
			req.Host = tt.host
			h.ServeHTTP(rec, req)
			if rec.Code != tt.want {
				t.Fatalf("status %d, want %d", rec.Code, tt.want)
			}
			if tt.contains != "" && !strings.Contains(rec.Body.String(), tt.contains) {
				t.Errorf("body lacks %q", tt.contains)
			}
		})
	}
}
