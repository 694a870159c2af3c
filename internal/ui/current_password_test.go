package ui_test

import (
	"strings"
	"testing"

	"github.com/portico-auth/portico/internal/apptest"
)

// TestSettingsPageShowsCurrentPassword: with require_current_password the built-in settings
// page shows the current_password input through the generic node renderer, labelled and
// before the new password.
func TestSettingsPageShowsCurrentPassword(t *testing.T) {
	s := apptest.Start(t, apptest.WithEnv("SELFSERVICE_METHODS_PASSWORD_CONFIG_REQUIRE_CURRENT_PASSWORD", "true"))
	b := s.BrowserWithSession(t, s.CreateIdentity(t, apptest.Email("ada"), "a very secret passphrase 1"))
	body := string(b.Get(location(t, b.Get(s.PublicURL("/self-service/settings/browser")))).Body)
	current := strings.Index(body, `name="current_password"`)
	next := strings.Index(body, `name="password"`)
	if current < 0 || next < current || !strings.Contains(body, "Current password") ||
		!strings.Contains(body[max(current-200, 0):current+200], `autocomplete="current-password"`) {
		t.Fatalf("settings page without the current_password input before the new one:\n%s", body)
	}
}
