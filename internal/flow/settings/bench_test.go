package settings_test

import (
	"testing"

	"github.com/portico-auth/portico/internal/apptest"
)

// BenchmarkCreateBrowserSettingsFlow measures GET /self-service/settings/browser on SQLite
// through the whole server (HTTP, session lookup, identity load, flow insert), as an SPA
// (200 with the flow) and as a browser (303 to the UI), under the password-only config and
// under the MFA config bench/run.sh uses (TOTP, lookup codes, WebAuthn and passkeys on).
func BenchmarkCreateBrowserSettingsFlow(b *testing.B) {
	b.Run("password", func(b *testing.B) {
		s := apptest.Start(b)
		s.BenchCreateSettingsFlow(b, "bench@example.com", password)
	})
	b.Run("mfa", func(b *testing.B) {
		s := apptest.Start(b, benchMFA()...)
		s.BenchCreateSettingsFlow(b, "bench@example.com", password)
	})
}

// benchMFA is the MFA configuration of bench/run.sh: every second factor on.
func benchMFA() []apptest.Option {
	return append([]apptest.Option{
		apptest.WithEnv("SELFSERVICE_METHODS_TOTP_ENABLED", "true"),
		apptest.WithEnv("SELFSERVICE_METHODS_LOOKUP_SECRET_ENABLED", "true"),
	}, withWebAuthnAndPasskeys...)
}
