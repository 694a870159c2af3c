package settings_test

import (
	"encoding/json"
	"net/http"
	"reflect"
	"strings"
	"testing"

	"github.com/portico-auth/portico/internal/apptest"
	"github.com/portico-auth/portico/internal/kratosexamples"
)

// TestGetSettingsFlowNeedsTheAALOfCreation: once the identity has a second factor, an aal1
// session may not read a settings flow under highest_available (it may not create or submit
// one either): 403 session_aal2_required exactly as Kratos answers it, for a browser's AJAX
// read and for an app's token; with required_aal aal1 the read is allowed.
func TestGetSettingsFlowNeedsTheAALOfCreation(t *testing.T) {
	fx := newFixture(t, apptest.WithEnv("SELFSERVICE_METHODS_TOTP_ENABLED", "true"))
	browserFlow := fx.newBrowserFlow(t, fx.spa(t))
	apiFlow := fx.newAPIFlow(t)
	fx.addTOTP(t)

	want := map[string]any{}
	if err := json.Unmarshal(kratosexamples.Read(t, "settings-browser-ajax-403-aal2.json"), &want); err != nil {
		t.Fatal(err)
	}
	// Kratos's recording ran on another base URL.
	recorded, _ := want["redirect_browser_to"].(string)
	base := recorded[:strings.Index(recorded, "/self-service/")]
	for name, tc := range map[string]struct {
		c  *apptest.Client
		id string
	}{
		"browser ajax": {fx.spa(t), browserFlow.ID},
		"native":       {fx.native(t), apiFlow.ID},
	} {
		r := tc.c.Get(fx.url("/self-service/settings/flows?id=" + tc.id))
		wantStatus(t, r, http.StatusForbidden)
		got := map[string]any{}
		body := strings.ReplaceAll(string(r.Body), strings.TrimSuffix(fx.s.PublicURL("/"), "/"), base)
		if err := json.Unmarshal([]byte(body), &got); err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s: got %s\nwant Kratos's %s", name, body, kratosexamples.Read(t, "settings-browser-ajax-403-aal2.json"))
		}
	}

	// An aal2 session of the same identity reads it.
	c := fx.s.SPA(t)
	c.SetSessionCookie(fx.s, fx.s.IssueSession(t, fx.ident, "aal2"))
	wantStatus(t, c.Get(fx.url("/self-service/settings/flows?id="+browserFlow.ID)), http.StatusOK)

	// With required_aal aal1, aal1 is enough.
	lax := newFixture(t, apptest.WithEnv("SELFSERVICE_FLOWS_SETTINGS_REQUIRED_AAL", "aal1"), apptest.WithEnv("SELFSERVICE_METHODS_TOTP_ENABLED", "true"))
	f := lax.newAPIFlow(t)
	lax.addTOTP(t)
	wantStatus(t, lax.native(t).Get(lax.url("/self-service/settings/flows?id="+f.ID)), http.StatusOK)
}
