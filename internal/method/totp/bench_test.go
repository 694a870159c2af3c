package totp_test

import (
	"context"
	"io"
	"net/http"
	"testing"

	"github.com/portico-auth/portico/internal/apptest"
	"github.com/portico-auth/portico/internal/session"
)

// mfaConfig turns on what bench/run.sh's MFA configuration does besides TOTP and lookup codes.
const mfaConfig = `selfservice:
  methods:
    webauthn:
      enabled: true
      config:
        rp: {id: localhost, display_name: Portico bench, origins: ["http://localhost:4433"]}
    passkey:
      enabled: true
      config:
        rp: {id: localhost, display_name: Portico bench, origins: ["http://localhost:4433"]}
`

// BenchmarkCreateSettingsFlowTOTP measures GET /self-service/settings/browser on SQLite with
// bench/run.sh's MFA configuration (TOTP, lookup codes, WebAuthn, passkeys), through the whole
// server: every new flow offers a new TOTP key and draws its QR code. AJAX (200 with the
// flow) and browser (303 to the UI).
func BenchmarkCreateSettingsFlowTOTP(b *testing.B) {
	s := apptest.Start(b,
		apptest.WithConfig(mfaConfig),
		apptest.WithEnv("SELFSERVICE_METHODS_TOTP_ENABLED", "true"),
		apptest.WithEnv("SELFSERVICE_METHODS_TOTP_CONFIG_ISSUER", "Portico Bench"),
		apptest.WithEnv("SELFSERVICE_METHODS_LOOKUP_SECRET_ENABLED", "true"))
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
