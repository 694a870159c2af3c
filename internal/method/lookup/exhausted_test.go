package lookup_test

import (
	"net/http"
	"testing"

	"github.com/portico-auth/portico/internal/apptest"
	"github.com/portico-auth/portico/internal/apptest/mfatest"
)

// TestUsedUpCodesDemandNoAAL2 is issue 19 finding 2 for recovery codes: once every code is
// used, the codes are no second factor. New aal1 sessions then pass whoami and settings, and
// the aal2 login is not offered with nothing but used-up codes.
func TestUsedUpCodesDemandNoAAL2(t *testing.T) {
	s := apptest.Start(t, apptest.WithEnv("SELFSERVICE_METHODS_LOOKUP_SECRET_ENABLED", "true"))
	ident := s.CreateIdentity(t, "codes@example.com", password)
	p := mfatest.SignIn(t, s, "spa", ident)
	_, f := p.StartSettings()
	_, gen := p.Submit("settings", f, map[string]any{"method": "lookup_secret", "lookup_secret_regenerate": true})
	codes, _ := codesOf(t, gen)
	if _, done := p.Submit("settings", gen, map[string]any{"lookup_secret_confirm": true}); mfatest.Str(done, "state") != "success" {
		t.Fatalf("confirm: %v", mfatest.MessageTexts(done))
	}

	for i, c := range codes {
		q := mfatest.SignIn(t, s, "spa", ident)
		if w := q.Whoami(); w.StatusCode != http.StatusForbidden {
			t.Fatalf("aal1 whoami with %d unused codes: %d", len(codes)-i, w.StatusCode)
		}
		_, lf := q.StartLogin("aal=aal2")
		if res, _ := q.Submit("login", lf, map[string]any{"method": "lookup_secret", "lookup_secret": c}); res.StatusCode != http.StatusOK {
			t.Fatalf("code %d: %d %s", i, res.StatusCode, res.Body)
		}
	}

	q := mfatest.SignIn(t, s, "spa", ident)
	if w := q.Whoami(); w.StatusCode != http.StatusOK {
		t.Fatalf("aal1 whoami with every code used: %d %s", w.StatusCode, w.Body)
	}
	if r, _ := q.StartSettings(); r.StatusCode != http.StatusOK {
		t.Fatalf("aal1 settings with every code used: %d %s", r.StatusCode, r.Body)
	}
	if r, lf := q.StartLogin("aal=aal2"); r.StatusCode != http.StatusBadRequest {
		t.Fatalf("aal2 login with only used-up codes: %d %v", r.StatusCode, mfatest.Names(lf))
	}
}
