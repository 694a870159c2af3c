package ui

import (
	"github.com/portico-auth/portico/internal/flow"
	"github.com/portico-auth/portico/internal/text"
)

// The page chrome (titles, headings, links) that Kratos's catalogue has no id for lives in
// this one table, keyed by a stable name, so that a translation replaces one map. Texts that
// Kratos does number come from internal/text by id.
var chrome = map[string]string{
	"brand":                    "Portico",
	"login.title":              "Sign in",
	"login.refresh":            "Confirm it's you",
	"login.aal2":               "Second factor",
	"login.noAccount":          "No account yet?",
	"login.forgot":             "Forgot password?",
	"verification.title":       "Verify your email address",
	"recovery.title":           "Recover your account",
	"recovery.remembered":      "Remembered your password?",
	"registration.title":       "Create your account",
	"registration.haveAccount": "Already have an account?",
	"settings.title":           "Account settings",
	"settings.back":            "Back to your account",
	"error.title":              "Something went wrong",
	"error.again":              "Start again",
	"error.home":               "Go to your account",
	"welcome.title":            "Your account",
	"welcome.signedInAs":       "You are signed in as",
	"welcome.traits":           "Profile",
	"welcome.sessions":         "Your sessions",
	"welcome.current":          "this device",
	"welcome.noOthers":         "You are not signed in anywhere else.",
	"welcome.revoke":           "Sign out other devices",
	"welcome.revoked":          "Signed out of your other devices.",
	"welcome.settings":         "Account settings",
	"welcome.logout":           "Sign out",
	"welcome.since":            "signed in",
	"welcome.aal":              "assurance level",
	"group.default":            "Continue",
	"group.profile":            "Profile",
	"group.password":           "Password",
	"group.totp":               "Authenticator app",
	"group.lookup_secret":      "Backup recovery codes",
	"group.webauthn":           "Security keys",
	"group.passkey":            "Passkeys",
	"group.oidc":               "Social sign-in",
	"group.code":               "One-time code",
	"group.link":               "Email link",
	"group.delete_account":     "Delete account",
	"skip":                     "Skip to content",
}

// t returns a chrome text; an unknown key shows itself so that a missing text is visible.
func t(key string) string {
	if s, ok := chrome[key]; ok {
		return s
	}
	return key
}

func groupTitle(g flow.Group) string {
	if s, ok := chrome["group."+string(g)]; ok {
		return s
	}
	return string(g)
}

// catalogueText is the catalogue's text for a Kratos message id without context.
func catalogueText(id int) string {
	return renderText(text.New(id, nil))
}
