package totp_test

import (
	"net/http"
	"testing"

	"github.com/portico-auth/portico/internal/apptest"
	"github.com/portico-auth/portico/internal/apptest/mfatest"
	"github.com/portico-auth/portico/internal/session"
)

// TestAAL2NeedsTwoKinds is issue 18 item 3 as each client sees it: a session whose methods
// are one kind twice (two email codes) is aal1, so an identity with TOTP is still asked for
// its second factor by whoami and settings; a first and a second factor of different kinds
// are aal2.
func TestAAL2NeedsTwoKinds(t *testing.T) {
	s := start(t)
	ident := s.CreateIdentity(t, apptest.Email("kinds"), password)
	enrol(t, mfatest.SignIn(t, s, "spa", ident))
	for _, kind := range mfatest.Kinds {
		t.Run(kind, func(t *testing.T) {
			for _, c := range []struct {
				methods []string
				want    session.AAL
			}{
				{[]string{"code", "code"}, session.AAL1},
				{[]string{"code", "totp"}, session.AAL2},
			} {
				p := mfatest.SignInWith(t, s, kind, ident, session.AAL2, c.methods...)
				w := p.Whoami()
				settings := p.JSONGet("/self-service/settings/" + map[bool]string{true: "api", false: "browser"}[kind == "native"])
				if c.want == session.AAL1 {
					if w.StatusCode != http.StatusForbidden || mfatest.Str(w.Map(t), "error", "id") != "session_aal2_required" {
						t.Errorf("%v whoami: %d %s", c.methods, w.StatusCode, w.Body)
					}
					if settings.StatusCode != http.StatusForbidden || mfatest.Str(settings.Map(t), "error", "id") != "session_aal2_required" {
						t.Errorf("%v settings: %d %s", c.methods, settings.StatusCode, settings.Body)
					}
					continue
				}
				if w.StatusCode != http.StatusOK || mfatest.Str(w.Map(t), "authenticator_assurance_level") != string(c.want) {
					t.Errorf("%v whoami: %d %s", c.methods, w.StatusCode, w.Body)
				}
				if settings.StatusCode != http.StatusOK {
					t.Errorf("%v settings: %d %s", c.methods, settings.StatusCode, settings.Body)
				}
			}
		})
	}
}
