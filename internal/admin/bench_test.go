package admin_test

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/portico-auth/portico/internal/apptest"
)

// BenchmarkGetIdentity measures GET /admin/identities/{id} through the whole admin handler on
// SQLite, with and without credentials, without the network.
func BenchmarkGetIdentity(b *testing.B) {
	srv := apptest.Start(b)
	ident := srv.CreateIdentity(b, "bench-admin@example.test", "a-long-bench-password-1")
	h := srv.App.Admin
	for _, bc := range []struct{ name, query string }{
		{"plain", ""},
		{"with-credentials", "?include_credential=password"},
	} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				req := httptest.NewRequest(http.MethodGet, "/admin/identities/"+ident.ID.String()+bc.query, nil)
				// The admin listener answers only for its own host (DNS-rebinding guard);
				// httptest's default host is example.com.
				req.Host = "127.0.0.1"
				rec := httptest.NewRecorder()
				h.ServeHTTP(rec, req)
				if rec.Code != http.StatusOK {
					b.Fatalf("get identity: %d %s", rec.Code, rec.Body)
				}
			}
		})
	}
}
