package settings_test

import (
	"context"
	"net/http"
	"net/url"
	"testing"

	"github.com/portico-auth/portico/internal/apptest"
	"github.com/portico-auth/portico/internal/apptest/mfatest"
	"github.com/portico-auth/portico/internal/session"
)

// TestCredentialChangeRevokesOtherSessions is issue 18 item 4 as each client sees it: a
// change of the password or of the recovery addresses ends every other session of the
// identity by default, a profile edit ends none, and the current session always stays;
// selfservice.flows.settings.revoke_other_sessions_on_credential_change: false keeps Kratos's
// default, where only the method's revoke_active_sessions hook ends them.
func TestCredentialChangeRevokesOtherSessions(t *testing.T) {
	const hook = `[{"hook":"revoke_active_sessions"}]`
	// Each client makes a change of its own, so that none repeats the one before.
	pw := func(kind string) map[string]any {
		return map[string]any{"method": "password", "password": "a brand new passphrase for " + kind}
	}
	var email string // the identity's address in the running case
	name := func(kind string) map[string]any { return profileBody(email, "Grace "+kind) }
	address := func(kind string) map[string]any { return profileBody(apptest.Email(kind), "Ada") }
	cases := []struct {
		name    string
		opts    []apptest.Option
		change  func(kind string) map[string]any
		revoked bool
	}{
		{"default/password", nil, pw, true},
		{"default/recovery address", nil, address, true},
		{"default/name", nil, name, false},
		{"switch off/password", []apptest.Option{apptest.WithEnv("SELFSERVICE_FLOWS_SETTINGS_REVOKE_OTHER_SESSIONS_ON_CREDENTIAL_CHANGE", "false")}, pw, false},
		{"switch off/password with hook", []apptest.Option{
			apptest.WithEnv("SELFSERVICE_FLOWS_SETTINGS_REVOKE_OTHER_SESSIONS_ON_CREDENTIAL_CHANGE", "false"),
			apptest.WithEnv("SELFSERVICE_FLOWS_SETTINGS_AFTER_PASSWORD_HOOKS", hook),
		}, pw, true},
		{"switch off/name with profile hook", []apptest.Option{
			apptest.WithEnv("SELFSERVICE_FLOWS_SETTINGS_REVOKE_OTHER_SESSIONS_ON_CREDENTIAL_CHANGE", "false"),
			apptest.WithEnv("SELFSERVICE_FLOWS_SETTINGS_AFTER_PROFILE_HOOKS", hook),
		}, name, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := apptest.Start(t, tc.opts...)
			email = apptest.Email("revoke")
			ident := s.CreateIdentity(t, email, password)
			for _, kind := range mfatest.Kinds {
				other := s.IssueSession(t, ident, session.AAL1)
				p := mfatest.SignIn(t, s, kind, ident)
				_, f := p.StartSettings()
				if f == nil {
					t.Fatalf("%s: no settings flow", kind)
				}
				fields := map[string]any{}
				for k, v := range tc.change(kind) {
					fields[k] = v
				}
				if kind == "browser" {
					form := url.Values{}
					flatten("", fields, form)
					fields = map[string]any{}
					for k := range form {
						fields[k] = form.Get(k)
					}
				}
				res, done := p.Submit("settings", f, fields)
				if kind != "browser" && res.StatusCode != http.StatusOK || mfatest.Str(done, "state") != "success" {
					t.Fatalf("%s: change: %d %s %v", kind, res.StatusCode, res.Body, mfatest.MessageTexts(done))
				}
				_, err := s.App.Sessions.FromToken(context.Background(), other)
				if tc.revoked != (err != nil) {
					t.Errorf("%s: other session: revoked %v, want %v", kind, err != nil, tc.revoked)
				}
				if w := p.Whoami(); w.StatusCode != http.StatusOK {
					t.Errorf("%s: the session that made the change: whoami %d", kind, w.StatusCode)
				}
			}
		})
	}
}
