package audithttp_test

import (
	"net/http"
	"testing"

	"github.com/portico-auth/portico/internal/apptest"
)

// TestSignUpTrail: a sign-up with a password as a browser, an SPA and a native app records
// one sign_up event (method password) in the write that creates the identity, with the
// client's address and user agent; a refused sign-up (a password too short) records nothing.
func TestSignUpTrail(t *testing.T) {
	s := apptest.Start(t)
	for _, fc := range s.FlowClients(t, "registration") {
		t.Run(fc.As, func(t *testing.T) {
			email := apptest.Email("signup-" + fc.As)
			fc.C.Header.Set("User-Agent", "SignUpTest/"+fc.As)
			values := map[string]string{"method": "password", "traits.email": email, "password": "short"}
			f := fc.Submit(t, fc.Start(t), values)
			if s.AuditTypes(t, email) != "" {
				t.Fatalf("a refused sign-up left an identity or an event")
			}
			values["password"] = "a long enough password"
			if done := fc.Submit(t, f, values); done.Status != http.StatusOK && done.Status != http.StatusSeeOther {
				t.Fatalf("sign-up: %d %s", done.Status, done.Raw.Body)
			}
			var ids []struct{ ID string }
			s.Native(t).Get(s.AdminURL("/admin/identities?credentials_identifier="+email)).JSON(t, &ids)
			if len(ids) != 1 {
				t.Fatalf("identities of %s: %v", email, ids)
			}
			evs := trail(t, s, ids[0].ID)
			if types(evs) != "sign_up" {
				t.Fatalf("trail = %q, want the sign-up", types(evs))
			}
			if ev := evs[0]; ev.Details["method"] != "password" || ev.IPAddress != "127.0.0.1" || ev.UserAgent != "SignUpTest/"+fc.As {
				t.Errorf("sign-up event %+v", ev)
			}
		})
	}
}
