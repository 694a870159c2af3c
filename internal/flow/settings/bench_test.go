package settings_test

import (
	"context"
	"io"
	"net/http"
	"testing"

	"github.com/portico-auth/portico/internal/apptest"
	"github.com/portico-auth/portico/internal/session"
)

// BenchmarkCreateBrowserSettingsFlow measures GET /self-service/settings/browser on SQLite
// through the whole server (HTTP, session lookup, identity load, flow insert), as an SPA
// (200 with the flow) and as a browser (303 to the UI).
func BenchmarkCreateBrowserSettingsFlow(b *testing.B) {
	s := apptest.Start(b)
	id := s.CreateIdentity(b, "bench@example.com", password)
	token := s.IssueSession(b, id, session.AAL1)
	cookie := s.App.Sessions.Options().CookieName + "=" + token
	target := s.PublicURL("/self-service/settings/browser")
	hc := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	for _, tc := range []struct {
		name, accept string
		status       int
	}{
		{"ajax", "application/json", http.StatusOK},
		{"303", "text/html", http.StatusSeeOther},
	} {
		b.Run(tc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				req, _ := http.NewRequestWithContext(context.Background(), http.MethodGet, target, nil)
				req.Header.Set("Accept", tc.accept)
				req.Header.Set("Cookie", cookie)
				res, err := hc.Do(req)
				if err != nil {
					b.Fatal(err)
				}
				_, _ = io.Copy(io.Discard, res.Body)
				_ = res.Body.Close()
				if res.StatusCode != tc.status {
					b.Fatalf("status %d", res.StatusCode)
				}
			}
		})
	}
}
