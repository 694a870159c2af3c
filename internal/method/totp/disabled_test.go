package totp_test

import (
	"net/http"
	"path/filepath"
	"testing"

	"github.com/portico-auth/portico/internal/apptest"
	"github.com/portico-auth/portico/internal/apptest/mfatest"
)

// TestDisabledTOTPDemandsNoAAL2 is issue 19 finding 2 for TOTP: an authenticator app linked
// while TOTP was enabled is no second factor once the configuration turns TOTP off (no login
// can use it), so the owner's aal1 sessions pass whoami and settings. Turning it back on
// makes it count again.
func TestDisabledTOTPDemandsNoAAL2(t *testing.T) {
	dsn := "sqlite://" + filepath.Join(t.TempDir(), "portico.db") + "?_fk=true"
	on := start(t, apptest.WithDSN(dsn))
	ident := on.CreateIdentity(t, "totp@example.com", "a-long-enough-password")
	enrol(t, mfatest.SignIn(t, on, "spa", ident))
	if w := mfatest.SignIn(t, on, "spa", ident).Whoami(); w.StatusCode != http.StatusForbidden {
		t.Fatalf("aal1 whoami with TOTP enabled: %d", w.StatusCode)
	}

	off := apptest.Start(t, apptest.WithDSN(dsn)) // TOTP off, as apptest starts by default
	q := mfatest.SignIn(t, off, "spa", ident)
	if w := q.Whoami(); w.StatusCode != http.StatusOK {
		t.Fatalf("aal1 whoami with TOTP disabled: %d %s", w.StatusCode, w.Body)
	}
	if r, _ := q.StartSettings(); r.StatusCode != http.StatusOK {
		t.Fatalf("aal1 settings with TOTP disabled: %d %s", r.StatusCode, r.Body)
	}
}
