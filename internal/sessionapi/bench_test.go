package sessionapi_test

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/portico-auth/portico/internal/apptest"
	"github.com/portico-auth/portico/internal/session"
)

// BenchmarkWhoami measures GET /sessions/whoami through the whole public handler (middleware,
// routing, session lookup, identity load, JSON reply) on SQLite, without the network, so
// allocations per request show up next to the time.
func BenchmarkWhoami(b *testing.B) {
	srv := apptest.Start(b)
	ident := srv.CreateIdentity(b, "bench-whoami@example.test", "a-long-bench-password-1")
	token := srv.IssueSession(b, ident, session.AAL1, "password")
	h := srv.App.Public
	whoami := func() {
		req := httptest.NewRequest(http.MethodGet, "/sessions/whoami", nil)
		req.Header.Set("Accept", "application/json")
		req.Header.Set("X-Session-Token", token)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != http.StatusOK {
			b.Fatalf("whoami: %d %s", rec.Code, rec.Body)
		}
	}
	b.Run("serial", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			whoami()
		}
	})
	b.Run("parallel", func(b *testing.B) {
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				whoami()
			}
		})
	})
}
