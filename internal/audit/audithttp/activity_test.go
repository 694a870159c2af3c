package audithttp_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/portico-auth/portico/internal/apptest"
)

// activityTexts returns the texts of the flow's recent-activity nodes, in order, and checks
// they are text nodes of the profile group, the first labelled.
func activityTexts(t *testing.T, f *apptest.Flow) []string {
	t.Helper()
	ui, _ := f.Body["ui"].(map[string]any)
	nodes, _ := ui["nodes"].([]any)
	var out []string
	for _, n := range nodes {
		node := n.(map[string]any)
		a, _ := node["attributes"].(map[string]any)
		id, _ := a["id"].(string)
		if !strings.HasPrefix(id, "recent_activity_") {
			continue
		}
		if node["type"] != "text" || node["group"] != "profile" || a["node_type"] != "text" {
			t.Errorf("activity node %v", node)
		}
		meta, _ := node["meta"].(map[string]any)
		label, _ := meta["label"].(map[string]any)
		if (len(out) == 0) != (label != nil) || (label != nil && label["id"] != float64(1050110)) {
			t.Errorf("node %s label %v", id, label)
		}
		txt, _ := a["text"].(map[string]any)
		if txt["id"] != float64(1050111) {
			t.Errorf("node %s text %v", id, txt)
		}
		s, _ := txt["text"].(string)
		out = append(out, s)
	}
	return out
}

// TestSettingsShowsRecentActivity: with audit.show_in_settings, the settings flow of a
// browser, an SPA and a native app lists the person's own recent events, newest first, as
// text nodes (an administrator's change says who, not from where), and the built-in UI shows
// them through its generic renderer; without it the flow has no such node.
func TestSettingsShowsRecentActivity(t *testing.T) {
	for _, on := range []bool{true, false} {
		var opts []apptest.Option
		if on {
			opts = append(opts, apptest.WithEnv("AUDIT_SHOW_IN_SETTINGS", "true"))
		}
		s := apptest.Start(t, opts...)
		for _, fc := range s.FlowClients(t, "settings") {
			t.Run(fc.As+map[bool]string{true: "", false: " off"}[on], func(t *testing.T) {
				email := apptest.Email("activity-" + fc.As)
				id := s.CreateIdentity(t, email, "a long enough password")
				login := s.Native(t)
				var lf struct{ ID string }
				login.Get(s.PublicURL("/self-service/login/api")).JSON(t, &lf)
				login.PostJSON(s.PublicURL("/self-service/login?flow="+lf.ID), map[string]any{"method": "password", "identifier": email, "password": "wrong password!"})
				token := s.LoginNative(t, email, "a long enough password")
				patch := `[{"op":"replace","path":"/metadata_public","value":{"plan":"pro"}}]`
				if res := s.Native(t).Do(http.MethodPatch, s.AdminURL("/admin/identities/"+id.ID.String()), strings.NewReader(patch), http.Header{"Content-Type": {"application/json"}}); res.StatusCode != http.StatusOK {
					t.Fatalf("patch: %d %s", res.StatusCode, res.Body)
				}
				if fc.As == "native" {
					fc.C.Header.Set("X-Session-Token", token)
				} else {
					fc.C.SetSessionCookie(s, token)
				}
				f := fc.Start(t)
				got := activityTexts(t, f)
				if !on {
					if len(got) != 0 {
						t.Fatalf("activity shown while off: %q", got)
					}
					return
				}
				if len(got) != 3 || !strings.HasPrefix(got[0], "Account changed by an administrator — ") || !strings.HasSuffix(got[0], ", an administrator") ||
					!strings.HasPrefix(got[1], "Signed in with password — ") || !strings.HasSuffix(got[1], ", 127.0.0.1") ||
					!strings.HasPrefix(got[2], "Failed sign-in attempt (password) — ") {
					t.Fatalf("activity = %q", got)
				}
				if fc.As != "browser" {
					return
				}
				page := fc.C.Get(s.PublicURL("/ui/settings?flow=" + f.ID))
				body := string(page.Body)
				if page.StatusCode != http.StatusOK || !strings.Contains(body, "Recent activity on your account") || !strings.Contains(body, "Signed in with password — ") {
					t.Fatalf("settings page %d lacks the activity:\n%s", page.StatusCode, body)
				}
			})
		}
	}
}
