package settings_test

import (
	"context"
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/portico-auth/portico/internal/apptest"
	"github.com/portico-auth/portico/internal/flow/settings"
)

// TestFlowSecretsAreSealedAtRest: what a settings flow keeps for later — a TOTP secret waiting
// for its first code, a password change parked until a refresh login — is stored encrypted,
// never in the clear, and never in the flow's public document.
func TestFlowSecretsAreSealedAtRest(t *testing.T) {
	fx := newFixture(t, apptest.WithEnv("SELFSERVICE_METHODS_TOTP_ENABLED", "true"))
	ctx := context.Background()
	record := func(id string) (data, private string) {
		t.Helper()
		rec, err := fx.s.App.Store.GetFlow(ctx, settings.Kind, uuid.MustParse(id))
		if err != nil {
			t.Fatal(err)
		}
		return string(rec.Data), string(rec.Private)
	}

	// A TOTP secret offered for enrolment.
	r := fx.native(t).Get(fx.url("/self-service/settings/api"))
	wantStatus(t, r, http.StatusOK)
	f := decodeFlow(t, r)
	secret := regexp.MustCompile(`"secret":"([A-Z2-7]+)"`).FindStringSubmatch(string(r.Body))
	if secret == nil {
		t.Fatalf("no TOTP secret offered: %s", r.Body)
	}
	data, private := record(f.ID)
	if private == "" || strings.HasPrefix(private, "{") || strings.Contains(private, secret[1]) {
		t.Fatalf("private fields not sealed: %q", private)
	}
	if strings.Contains(data, "portico_internal") {
		t.Fatalf("private fields in the public document: %s", data)
	}

	// A password change parked for a refresh login.
	fx.s.Clock.Advance(fx.s.Config.SelfService.Flows.Settings.PrivilegedSessionMaxAge + 1)
	g := fx.newAPIFlow(t)
	const newPassword = "a brand new passphrase 42"
	r = fx.native(t).PostJSON(fx.url("/self-service/settings?flow="+g.ID), map[string]any{"method": "password", "password": newPassword})
	wantStatus(t, r, http.StatusForbidden)
	data, private = record(g.ID)
	if strings.Contains(private, newPassword) || strings.Contains(data, newPassword) || strings.HasPrefix(private, "{") {
		t.Fatalf("parked password stored in the clear: data %q private %q", data, private)
	}
}
