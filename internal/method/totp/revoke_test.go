package totp_test

import (
	"context"
	"testing"

	"github.com/portico-auth/portico/internal/apptest"
	"github.com/portico-auth/portico/internal/apptest/mfatest"
	"github.com/portico-auth/portico/internal/session"
)

// TestLinkingTOTPRevokesOtherSessions is issue 18 item 4 for a second factor: linking TOTP
// ends the identity's other sessions by default (every client kind), and keeps them with
// selfservice.flows.settings.revoke_other_sessions_on_credential_change: false.
func TestLinkingTOTPRevokesOtherSessions(t *testing.T) {
	for _, on := range []bool{true, false} {
		var opts []apptest.Option
		if !on {
			opts = append(opts, apptest.WithEnv("SELFSERVICE_FLOWS_SETTINGS_REVOKE_OTHER_SESSIONS_ON_CREDENTIAL_CHANGE", "false"))
		}
		s := start(t, opts...)
		for _, kind := range mfatest.Kinds {
			ident := s.CreateIdentity(t, apptest.Email(kind+"-revoke"), password)
			other := s.IssueSession(t, ident, session.AAL1)
			p := mfatest.SignIn(t, s, kind, ident)
			enrol(t, p)
			_, err := s.App.Sessions.FromToken(context.Background(), other)
			if on != (err != nil) {
				t.Errorf("switch %v, %s: other session revoked %v", on, kind, err != nil)
			}
			if w := p.Whoami(); w.StatusCode != 200 {
				t.Errorf("switch %v, %s: the enrolling session: whoami %d %s", on, kind, w.StatusCode, w.Body)
			}
		}
	}
}
