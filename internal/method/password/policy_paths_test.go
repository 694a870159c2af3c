package password_test

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/portico-auth/portico/internal/apptest"
	"github.com/portico-auth/portico/internal/text"
)

// breachedSamples are refused on every path: two that the old 7,141-entry list lacked, and one
// from deep in the SecLists list (line ~430,000 of 437,652).
var breachedSamples = []string{"password1", "password123", "qwerty123456", "barndog2256", "Password123"}

func strongPassword(t *testing.T) string {
	t.Helper()
	b := make([]byte, 18)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

// nodeMessageIDs returns the ids of the messages on the flow's node named name.
func nodeMessageIDs(t *testing.T, flow map[string]any, name string) []int {
	t.Helper()
	ui, _ := flow["ui"].(map[string]any)
	nodes, _ := ui["nodes"].([]any)
	var ids []int
	for _, n := range nodes {
		node, _ := n.(map[string]any)
		attrs, _ := node["attributes"].(map[string]any)
		if attrs["name"] != name {
			continue
		}
		msgs, _ := node["messages"].([]any)
		for _, m := range msgs {
			mm, _ := m.(map[string]any)
			if id, ok := mm["id"].(float64); ok {
				ids = append(ids, int(id))
			}
		}
	}
	return ids
}

func hasID(ids []int, want int) bool {
	for _, id := range ids {
		if id == want {
			return true
		}
	}
	return false
}

// TestPolicyOnEveryPath: sign-up, settings and the admin API (create and update) all refuse
// breached passwords with 4000034 and accept a strong one. Before the one policy, sign-up and
// the admin API took them all, and settings took password123 and qwerty123456.
func TestPolicyOnEveryPath(t *testing.T) {
	srv := apptest.Start(t)
	n := 0
	email := func() string {
		n++
		return "policy" + strings.Repeat("x", n) + "@example.com"
	}

	register := func(pw string) *apptest.Response {
		app := srv.Native(t)
		f := app.Get(srv.PublicURL("/self-service/registration/api"))
		var flow struct{ ID string }
		f.JSON(t, &flow)
		return app.PostJSON(srv.PublicURL("/self-service/registration?flow="+flow.ID), map[string]any{
			"method": "password", "password": pw,
			"traits": map[string]any{"email": email(), "name": map[string]any{"first": "Ada", "last": "Lovelace"}},
		})
	}
	token := srv.RegisterNative(t, email(), strongPassword(t))
	changePassword := func(pw string) *apptest.Response {
		app := srv.Native(t)
		hdr := http.Header{"X-Session-Token": {token}}
		f := app.Do(http.MethodGet, srv.PublicURL("/self-service/settings/api"), nil, hdr)
		if f.StatusCode != http.StatusOK {
			t.Fatalf("settings flow: %d %s", f.StatusCode, f.Body)
		}
		var flow struct{ ID string }
		f.JSON(t, &flow)
		hdr.Set("Content-Type", "application/json")
		return app.Do(http.MethodPost, srv.PublicURL("/self-service/settings?flow="+flow.ID),
			strings.NewReader(`{"method":"password","password":`+jsonString(pw)+`}`), hdr)
	}
	admin := srv.Native(t)
	adminCreate := func(pw string) *apptest.Response {
		return admin.PostJSON(srv.AdminURL("/admin/identities"), map[string]any{
			"schema_id":   "default",
			"traits":      map[string]any{"email": email(), "name": map[string]any{"first": "Ada", "last": "Lovelace"}},
			"credentials": map[string]any{"password": map[string]any{"config": map[string]any{"password": pw}}},
		})
	}
	target := srv.CreateIdentity(t, email(), "")
	adminUpdate := func(pw string) *apptest.Response {
		body := `{"schema_id":"default","state":"active","traits":` + string(target.Traits) +
			`,"credentials":{"password":{"config":{"password":` + jsonString(pw) + `}}}}`
		return admin.Do(http.MethodPut, srv.AdminURL("/admin/identities/"+target.ID.String()), strings.NewReader(body),
			http.Header{"Content-Type": {"application/json"}})
	}

	flowRefused := func(t *testing.T, r *apptest.Response) {
		t.Helper()
		if r.StatusCode != http.StatusBadRequest {
			t.Fatalf("status %d, want 400: %s", r.StatusCode, r.Body)
		}
		if ids := nodeMessageIDs(t, r.Map(t), "password"); !hasID(ids, text.ErrorValidationPasswordTooManyBreaches) {
			t.Fatalf("password node messages %v, want 4000034: %s", ids, r.Body)
		}
	}
	adminRefused := func(t *testing.T, r *apptest.Response) {
		t.Helper()
		var e struct {
			Error struct {
				Code   int    `json:"code"`
				Reason string `json:"reason"`
			} `json:"error"`
		}
		r.JSON(t, &e)
		if r.StatusCode != http.StatusBadRequest || e.Error.Code != 400 || !strings.Contains(e.Error.Reason, "data breaches") {
			t.Fatalf("status %d, want 400 with the breach reason: %s", r.StatusCode, r.Body)
		}
	}
	paths := []struct {
		name    string
		send    func(string) *apptest.Response
		refused func(*testing.T, *apptest.Response)
		okCode  int
	}{
		{"sign-up", register, flowRefused, http.StatusOK},
		{"settings", changePassword, flowRefused, http.StatusOK},
		{"admin create", adminCreate, adminRefused, http.StatusCreated},
		{"admin update", adminUpdate, adminRefused, http.StatusOK},
	}
	for _, p := range paths {
		t.Run(p.name, func(t *testing.T) {
			for _, pw := range breachedSamples {
				t.Run(pw, func(t *testing.T) { p.refused(t, p.send(pw)) })
			}
			if r := p.send(strongPassword(t)); r.StatusCode != p.okCode {
				t.Fatalf("strong password: status %d, want %d: %s", r.StatusCode, p.okCode, r.Body)
			}
		})
	}
}

func jsonString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}
