package recovery_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/portico-auth/portico/internal/apptest"
)

// TestAdminRecoveryCode: the admin API's code for an identity: its link opens the flow in a
// browser (with the browser's CSRF token), the code recovers the account once.
func TestAdminRecoveryCode(t *testing.T) {
	s, _ := start(t)
	email := apptest.Email("admin-code")
	id := s.CreateIdentity(t, email, oldPassword)
	adm := s.Native(t)
	r := adm.PostJSON(s.AdminURL("/admin/recovery/code"), map[string]any{"identity_id": id.ID, "expires_in": "1h"})
	var out struct {
		RecoveryLink string    `json:"recovery_link"`
		RecoveryCode string    `json:"recovery_code"`
		ExpiresAt    time.Time `json:"expires_at"`
	}
	r.JSON(t, &out)
	if r.StatusCode != http.StatusCreated || len(out.RecoveryCode) != 6 || !out.ExpiresAt.After(s.Clock.Now().Add(59*time.Minute)) {
		t.Fatalf("admin code: %d %s", r.StatusCode, r.Body)
	}
	b := s.Browser(t)
	open := b.Get(out.RecoveryLink)
	loc := apptest.URL(t, open.Header.Get("Location"))
	if open.StatusCode != http.StatusSeeOther || loc.Path != "/ui/recovery" {
		t.Fatalf("opening the link: %d to %s", open.StatusCode, loc)
	}
	fc := &apptest.FlowClient{S: s, C: b, Kind: "recovery", As: "browser"}
	f := fc.Read(t, loc.Query().Get("flow"))
	if f.State != "sent_email" || f.CSRF == "" {
		t.Fatalf("the admin's flow: %s", f.Raw.Body)
	}
	settingsID, _ := recoverWith(t, s, fc, f, out.RecoveryCode)
	newPassword(t, s, fc, settingsID, "", "set after an admin's code 7")
	s.LoginNative(t, email, "set after an admin's code 7")
}

// TestAdminRecoveryLink: the admin API's link signs the browser in once and sends it to a
// settings flow; a second visit does not.
func TestAdminRecoveryLink(t *testing.T) {
	s, _ := start(t)
	id := s.CreateIdentity(t, apptest.Email("admin-link"), oldPassword)
	r := s.Native(t).PostJSON(s.AdminURL("/admin/recovery/link"), map[string]any{"identity_id": id.ID})
	var out struct {
		RecoveryLink string `json:"recovery_link"`
	}
	r.JSON(t, &out)
	if r.StatusCode != http.StatusOK || !strings.Contains(out.RecoveryLink, "token=") {
		t.Fatalf("admin link: %d %s", r.StatusCode, r.Body)
	}
	b := s.Browser(t)
	res := b.Get(out.RecoveryLink)
	loc := apptest.URL(t, res.Header.Get("Location"))
	if res.StatusCode != http.StatusSeeOther || loc.Path != "/ui/settings" {
		t.Fatalf("following the link: %d to %s", res.StatusCode, loc)
	}
	fc := &apptest.FlowClient{S: s, C: b, Kind: "recovery", As: "browser"}
	newPassword(t, s, fc, loc.Query().Get("flow"), "", "set after an admin's link 7")
	second := s.Browser(t).Get(out.RecoveryLink)
	if loc := apptest.URL(t, second.Header.Get("Location")); loc.Path != "/ui/recovery" {
		t.Fatalf("the link a second time: %d to %s", second.StatusCode, loc)
	}
}

// TestAdminRecoveryErrors: an unknown identity is 404; a bad expires_in or flow_type, or a
// body without identity_id, is 400.
func TestAdminRecoveryErrors(t *testing.T) {
	s, _ := start(t)
	id := s.CreateIdentity(t, apptest.Email("admin-errors"), oldPassword)
	for _, tc := range []struct {
		path string
		body any
		want int
	}{
		{"/admin/recovery/code", map[string]any{"identity_id": uuid.New()}, http.StatusNotFound},
		{"/admin/recovery/link", map[string]any{"identity_id": uuid.New()}, http.StatusNotFound},
		{"/admin/recovery/code", map[string]any{}, http.StatusBadRequest},
		{"/admin/recovery/code", map[string]any{"identity_id": id.ID, "expires_in": "forever"}, http.StatusBadRequest},
		{"/admin/recovery/code", map[string]any{"identity_id": id.ID, "expires_in": "-1h"}, http.StatusBadRequest},
		{"/admin/recovery/code", map[string]any{"identity_id": id.ID, "expires_in": "10000h"}, http.StatusBadRequest},
		{"/admin/recovery/code", map[string]any{"identity_id": id.ID, "flow_type": "carrier-pigeon"}, http.StatusBadRequest},
		{"/admin/recovery/link", map[string]any{"identity_id": "not-a-uuid"}, http.StatusBadRequest},
		{"/admin/recovery/code", map[string]any{"identity_id": id.ID, "flow_type": "api"}, http.StatusCreated},
	} {
		r := s.Native(t).PostJSON(s.AdminURL(tc.path), tc.body)
		if r.StatusCode != tc.want {
			t.Errorf("%s %v: %d, want %d: %s", tc.path, tc.body, r.StatusCode, tc.want, r.Body)
		}
	}
}
