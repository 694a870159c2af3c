package audithttp_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/portico-auth/portico/internal/apptest"
)

// revocations lists the session_revoked events of the trail, newest first, as
// "by reason count".
func revocations(evs []event) string {
	var got []string
	for _, ev := range evs {
		if ev.Type == "session_revoked" {
			got = append(got, fmt.Sprint(ev.Details["by"], " ", ev.Details["reason"], " ", ev.Details["count"]))
		}
	}
	return strings.Join(got, "|")
}

// TestSettingsRevocationTrail: a password changed in settings (browser, SPA, native) ends the
// identity's other sessions (revoke_other_sessions_on_credential_change); the trail gets one
// session_revoked event for all of them, with how many and why, made by the changing session;
// a profile change ends none and records no revocation.
func TestSettingsRevocationTrail(t *testing.T) {
	s := apptest.Start(t)
	for _, fc := range s.FlowClients(t, "settings") {
		t.Run(fc.As, func(t *testing.T) {
			email, id, token := signedUp(t, s, "revoke-others-"+fc.As)
			for range 3 {
				s.LoginNative(t, email, "a long enough password")
			}
			name := map[string]any{"first": "Ada", "last": "Lovelace"}
			settingsSteps(t, fc, token,
				map[string]any{"method": "profile", "traits": map[string]any{"email": email, "name": name}},
				map[string]any{"method": "password", "password": "an entirely new passphrase"},
			)
			var who struct{ ID string }
			s.Native(t).Do(http.MethodGet, s.PublicURL("/sessions/whoami"), nil, http.Header{"X-Session-Token": {token}}).JSON(t, &who)
			evs := trail(t, s, id.ID.String())
			if got := revocations(evs); got != "self credential_change 3" {
				t.Fatalf("revocations = %q, want one event for the 3 other sessions", got)
			}
			for _, ev := range evs {
				if ev.Type == "session_revoked" && (ev.SessionID == nil || *ev.SessionID != who.ID || ev.Details["others"] != true || ev.IPAddress != "127.0.0.1") {
					t.Errorf("revocation event %+v", ev)
				}
			}
		})
	}
}

// TestSessionCapTrail: with session.max_per_identity 2, each sign-in past the cap ends the
// oldest session and records one session_revoked event in the same write, under the new
// session, with the count; sign-ins under the cap record none.
func TestSessionCapTrail(t *testing.T) {
	s := apptest.Start(t, apptest.WithConfig("session:\n  max_per_identity: 2\n"))
	email := apptest.Email("capped")
	id := s.CreateIdentity(t, email, "a long enough password")
	for range 4 {
		s.LoginNative(t, email, "a long enough password")
	}
	evs := trail(t, s, id.ID.String())
	if got := revocations(evs); got != "session_cap max_per_identity 1|session_cap max_per_identity 1" {
		t.Fatalf("revocations = %q, want one per sign-in past the cap", got)
	}
	// Newest first: each revocation is recorded before the sign-in event of its session.
	for i, ev := range evs {
		if ev.Type != "session_revoked" {
			continue
		}
		if i == 0 || evs[i-1].Type != "sign_in" || ev.SessionID == nil || evs[i-1].SessionID == nil || *ev.SessionID != *evs[i-1].SessionID || ev.IPAddress == "" {
			t.Errorf("cap event %+v after %+v", ev, evs[max(i-1, 0)])
		}
	}
}
