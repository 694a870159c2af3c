package server

import (
	"github.com/portico-auth/portico/internal/config"
	"github.com/portico-auth/portico/internal/flow/settings"
)

// settingsOptions reads the settings flow's options from selfservice.flows.settings and the
// settings flow's after hooks.
func settingsOptions(cfg *config.Config) settings.Options {
	sf := cfg.SelfService.Flows.Settings
	return settings.Options{
		LoginUIURL:       cfg.FlowUIURL(config.FlowLogin),
		PrivilegedMaxAge: sf.PrivilegedSessionMaxAge,
		RequiredAAL:      sf.RequiredAAL,
		AfterURL: func(method string) string {
			// Only the settings flow's own after URLs count here: without them Kratos sends the
			// browser back to the settings UI, not to selfservice.default_browser_return_url.
			if u := cfg.ReturnURL(config.FlowSettings, method); u != cfg.SelfService.DefaultBrowserReturnURL {
				return u
			}
			return ""
		},
		RevokeOtherSessions: func(method string) bool {
			return cfg.HasHook(config.FlowSettings, method, "revoke_active_sessions")
		},
		RevokeOnCredentialChange: sf.RevokeOtherSessionsOnCredentialChange,
		Secrets:                  cfg.SealSecrets(),
	}
}
