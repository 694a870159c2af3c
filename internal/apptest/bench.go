package apptest

import (
	"context"
	"io"
	"net/http"
	"testing"

	"github.com/portico-auth/portico/internal/session"
)

// BenchCreateSettingsFlow measures GET /self-service/settings/browser for a new identity
// (email, password) signed in at aal1, through the whole server: as an SPA ("ajax": 200 with
// the flow) and as a browser ("303": to the UI).
func (s *Server) BenchCreateSettingsFlow(b *testing.B, email, password string) {
	id := s.CreateIdentity(b, email, password)
	cookie := s.App.Sessions.Options().CookieName + "=" + s.IssueSession(b, id, session.AAL1)
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
