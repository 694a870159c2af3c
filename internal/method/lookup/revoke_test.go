package lookup_test

import (
	"context"
	"net/http"
	"testing"

	"github.com/portico-auth/portico/internal/apptest"
	"github.com/portico-auth/portico/internal/apptest/mfatest"
	"github.com/portico-auth/portico/internal/session"
)

// TestConfirmingCodesRevokesOtherSessions is issue 18 item 4 for recovery codes: confirming
// a new set ends the identity's other sessions (every client kind); the session that
// confirmed them stays.
func TestConfirmingCodesRevokesOtherSessions(t *testing.T) {
	s := apptest.Start(t, apptest.WithEnv("SELFSERVICE_METHODS_LOOKUP_SECRET_ENABLED", "true"))
	for _, kind := range mfatest.Kinds {
		ident := s.CreateIdentity(t, apptest.Email(kind+"-codes"), password)
		other := s.IssueSession(t, ident, session.AAL1)
		p := mfatest.SignIn(t, s, kind, ident)
		_, f := p.StartSettings()
		_, gen := p.Submit("settings", f, map[string]any{"method": "lookup_secret", "lookup_secret_regenerate": true})
		if gen == nil || mfatest.Node(gen, "lookup_secret", "lookup_secret_confirm") == nil {
			t.Fatalf("%s: regenerate: %v", kind, gen)
		}
		if _, done := p.Submit("settings", gen, map[string]any{"lookup_secret_confirm": true}); mfatest.Str(done, "state") != "success" {
			t.Fatalf("%s: confirm: %v", kind, mfatest.MessageTexts(done))
		}
		if _, err := s.App.Sessions.FromToken(context.Background(), other); err == nil {
			t.Errorf("%s: the other session outlived the new recovery codes", kind)
		}
		if w := p.Whoami(); w.StatusCode != http.StatusOK {
			t.Errorf("%s: the confirming session: whoami %d", kind, w.StatusCode)
		}
	}
}
