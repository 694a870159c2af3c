package settings_test

import (
	"testing"

	"github.com/portico-auth/portico/internal/apptest"
)

// BenchmarkCreateBrowserSettingsFlow measures GET /self-service/settings/browser on SQLite
// through the whole server (HTTP, session lookup, identity load, flow insert), as an SPA
// (200 with the flow) and as a browser (303 to the UI).
func BenchmarkCreateBrowserSettingsFlow(b *testing.B) {
	s := apptest.Start(b)
	s.BenchCreateSettingsFlow(b, "bench@example.com", password)
}
