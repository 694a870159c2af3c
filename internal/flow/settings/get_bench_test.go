package settings_test

import (
	"context"
	"io"
	"net/http"
	"testing"

	"github.com/portico-auth/portico/internal/apptest"
	"github.com/portico-auth/portico/internal/session"
)

// BenchmarkGetSettingsFlow measures GET /self-service/settings/flows?id= through the whole
// server: "plain" is a flow without secrets (the stored document is sent with the identity
// attached, never decoded), "totp" one offering a TOTP key (its sealed nodes are opened and
// filled in), "mfa" the configuration of bench/run.sh's MFA run (TOTP, lookup codes, WebAuthn
// and passkeys on: the TOTP key and the two register triggers make the reply ~12 KB).
func BenchmarkGetSettingsFlow(b *testing.B) {
	for _, tc := range []struct {
		name string
		opts []apptest.Option
	}{
		{"plain", nil},
		{"totp", []apptest.Option{apptest.WithEnv("SELFSERVICE_METHODS_TOTP_ENABLED", "true")}},
		{"mfa", benchMFA()},
	} {
		b.Run(tc.name, func(b *testing.B) {
			s := apptest.Start(b, tc.opts...)
			id := s.CreateIdentity(b, "bench@example.com", password)
			c := s.SPA(b)
			c.SetSessionCookie(s, s.IssueSession(b, id, session.AAL1))
			r := c.Get(s.PublicURL("/self-service/settings/browser"))
			var f struct{ ID string }
			r.JSON(b, &f)
			target := s.PublicURL("/self-service/settings/flows?id=" + f.ID)
			cookie := s.App.Sessions.Options().CookieName + "=" + s.IssueSession(b, id, session.AAL1)
			b.ReportAllocs()
			for b.Loop() {
				req, _ := http.NewRequestWithContext(context.Background(), http.MethodGet, target, nil)
				req.Header.Set("Accept", "application/json")
				req.Header.Set("Cookie", cookie)
				res, err := http.DefaultClient.Do(req)
				if err != nil {
					b.Fatal(err)
				}
				_, _ = io.Copy(io.Discard, res.Body)
				_ = res.Body.Close()
				if res.StatusCode != http.StatusOK {
					b.Fatalf("status %d", res.StatusCode)
				}
			}
		})
	}
}
