package totp_test

import (
	"testing"

	"github.com/portico-auth/portico/internal/apptest"
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
	s.BenchCreateSettingsFlow(b, "bench@example.com", password)
}
