package session_test

import (
	"encoding/json"
	"net/http"
	"testing"

	"github.com/portico-auth/portico/internal/apptest"
)

// TestCredentialsMissingField (issue 12 item 9): every 401 session_inactive reply carries
// Kratos's top-level "CredentialsMissing" field (false, as recorded from Kratos), because one
// error value is written for all of them; the 401 of reading or submitting a settings flow,
// which Kratos sends without an error id, does not carry it.
func TestCredentialsMissingField(t *testing.T) {
	s := apptest.Start(t)
	type reply struct {
		Error struct {
			ID string `json:"id"`
		} `json:"error"`
		CredentialsMissing *bool `json:"CredentialsMissing"`
	}
	tests := []struct {
		name, method, path string
		hdr                http.Header
		want               *bool
	}{
		{"createBrowserSettingsFlow", "GET", "/self-service/settings/browser", nil, ptr(false)},
		{"createNativeSettingsFlow", "GET", "/self-service/settings/api", nil, ptr(false)},
		{"createBrowserLogoutFlow", "GET", "/self-service/logout/browser", nil, ptr(false)},
		{"listMySessions", "GET", "/sessions", nil, ptr(false)},
		{"disableMyOtherSessions", "DELETE", "/sessions", nil, ptr(false)},
		{"unknown token", "GET", "/self-service/settings/api", http.Header{"X-Session-Token": {"ory_st_unknown"}}, ptr(false)},
		{"unknown cookie", "GET", "/self-service/settings/browser", http.Header{"Cookie": {"ory_kratos_session=unknown"}}, ptr(false)},
		{"getSettingsFlow (no error id)", "GET", "/self-service/settings/flows?id=00000000-0000-0000-0000-000000000000", nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := s.SPA(t).Do(tt.method, s.PublicURL(tt.path), nil, tt.hdr)
			if r.StatusCode != http.StatusUnauthorized {
				t.Fatalf("status %d: %s", r.StatusCode, r.Body)
			}
			var got reply
			if err := json.Unmarshal(r.Body, &got); err != nil {
				t.Fatalf("not JSON: %s", r.Body)
			}
			switch {
			case tt.want == nil && got.CredentialsMissing != nil:
				t.Errorf("CredentialsMissing present in %s", r.Body)
			case tt.want != nil && (got.CredentialsMissing == nil || *got.CredentialsMissing != *tt.want):
				t.Errorf("CredentialsMissing missing or wrong (want %v) in %s", *tt.want, r.Body)
			case tt.want != nil && got.Error.ID != "session_inactive":
				t.Errorf("error id %q, want session_inactive: %s", got.Error.ID, r.Body)
			}
		})
	}
}

func ptr(b bool) *bool { return &b }
