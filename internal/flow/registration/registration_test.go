package registration_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/portico-auth/portico/internal/apptest"
)

type flowReply struct {
	ID string `json:"id"`
	UI struct {
		Messages []struct {
			ID int `json:"id"`
		} `json:"messages"`
		Nodes []struct {
			Attributes struct {
				Name  string `json:"name"`
				Value any    `json:"value"`
			} `json:"attributes"`
			Messages []struct {
				ID int `json:"id"`
			} `json:"messages"`
		} `json:"nodes"`
	} `json:"ui"`
}

func (f flowReply) node(name string) (any, []int) {
	for _, n := range f.UI.Nodes {
		if n.Attributes.Name == name {
			var ids []int
			for _, m := range n.Messages {
				ids = append(ids, m.ID)
			}
			return n.Attributes.Value, ids
		}
	}
	return nil, nil
}

func newFlow(t *testing.T, s *apptest.Server, c *apptest.Client) string {
	t.Helper()
	r := c.Get(s.PublicURL("/self-service/registration/api"))
	if r.StatusCode != 200 {
		t.Fatalf("create: %d %s", r.StatusCode, r.Body)
	}
	return r.Map(t)["id"].(string)
}

func TestValidationMessages(t *testing.T) {
	s := apptest.Start(t)
	s.CreateIdentity(t, "taken@example.com", "a fine password")
	app := s.Native(t)
	tests := []struct {
		name     string
		traits   map[string]any
		password string
		node     string
		wantNode int
		wantFlow int
	}{
		{"invalid email", map[string]any{"email": "not-an-email"}, "a fine password", "traits.email", 4000040, 0},
		{"missing email", map[string]any{}, "a fine password", "traits.email", 4000002, 0},
		{"short password", map[string]any{"email": "new@example.com"}, "short", "password", 4000032, 0},
		{"password like identifier", map[string]any{"email": "new@example.com"}, "new@example.com", "password", 4000031, 0},
		{"missing password", map[string]any{"email": "new@example.com"}, "", "password", 4000002, 0},
		{"duplicate", map[string]any{"email": "Taken@example.com"}, "a fine password", "", 0, 4000007},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := app.PostJSON(s.PublicURL("/self-service/registration?flow="+newFlow(t, s, app)),
				map[string]any{"method": "password", "traits": tt.traits, "password": tt.password})
			if r.StatusCode != http.StatusBadRequest {
				t.Fatalf("status %d: %s", r.StatusCode, r.Body)
			}
			var f flowReply
			r.JSON(t, &f)
			if tt.node != "" {
				if _, ids := f.node(tt.node); len(ids) == 0 || ids[0] != tt.wantNode {
					t.Errorf("%s messages %v, want %d\n%s", tt.node, ids, tt.wantNode, r.Body)
				}
			}
			if tt.wantFlow != 0 && (len(f.UI.Messages) != 1 || f.UI.Messages[0].ID != tt.wantFlow) {
				t.Errorf("flow messages %+v, want %d", f.UI.Messages, tt.wantFlow)
			}
			if v, _ := f.node("password"); v != nil {
				t.Errorf("password sent back")
			}
			if e, ok := tt.traits["email"]; ok {
				if v, _ := f.node("traits.email"); v != e {
					t.Errorf("email value %v, want %v", v, e)
				}
			}
		})
	}
}

func TestDisabled(t *testing.T) {
	s := apptest.Start(t, apptest.WithEnv("SELFSERVICE_FLOWS_REGISTRATION_ENABLED", "false"))
	r := s.Native(t).Get(s.PublicURL("/self-service/registration/api"))
	if r.StatusCode != 400 || r.Map(t)["error"].(map[string]any)["id"] != "self_service_flow_disabled" {
		t.Fatalf("disabled: %d %s", r.StatusCode, r.Body)
	}
}

func TestWithoutSessionHook(t *testing.T) {
	s := apptest.Start(t, apptest.WithConfig("selfservice:\n  flows:\n    registration:\n      after:\n        password:\n          hooks: []\n"))
	app := s.Native(t)
	r := app.PostJSON(s.PublicURL("/self-service/registration?flow="+newFlow(t, s, app)),
		map[string]any{"method": "password", "traits": map[string]any{"email": "a@example.com"}, "password": "a fine password"})
	if r.StatusCode != 200 {
		t.Fatalf("register: %d %s", r.StatusCode, r.Body)
	}
	m := r.Map(t)
	if m["identity"] == nil || m["session"] != nil || m["session_token"] != nil {
		t.Fatalf("reply without the session hook: %s", r.Body)
	}
	b := s.Browser(t)
	id, csrf := s.BrowserFlow(t, b, "registration")
	res := b.PostForm(s.PublicURL("/self-service/registration?flow="+id), map[string][]string{
		"method": {"password"}, "traits.email": {"b@example.com"}, "password": {"a fine password"}, "csrf_token": {csrf}})
	if res.StatusCode != 303 {
		t.Fatalf("browser: %d %s", res.StatusCode, res.Body)
	}
	if r := b.Get(s.PublicURL("/sessions/whoami")); r.StatusCode != 401 {
		t.Fatalf("session without the hook: %d", r.StatusCode)
	}
}

func TestRegistrationFlowErrors(t *testing.T) {
	s := apptest.Start(t)
	app := s.Native(t)
	id := newFlow(t, s, app)
	s.Clock.Advance(2 * time.Hour)
	r := app.PostJSON(s.PublicURL("/self-service/registration?flow="+id), map[string]any{"method": "password"})
	if r.StatusCode != 410 {
		t.Fatalf("expired: %d %s", r.StatusCode, r.Body)
	}
	e := r.Map(t)["error"].(map[string]any)
	if e["id"] != "self_service_flow_expired" || e["details"].(map[string]any)["use_flow_id"] == nil {
		t.Fatalf("expired: %s", r.Body)
	}
	if r := app.Get(s.PublicURL("/self-service/registration/flows?id=nope")); r.StatusCode != 404 {
		t.Fatalf("unknown: %d", r.StatusCode)
	}
	spa := s.SPA(t)
	r = spa.Get(s.PublicURL("/self-service/registration/browser"))
	fid := r.Map(t)["id"].(string)
	r = spa.PostJSON(s.PublicURL("/self-service/registration?flow="+fid), map[string]any{"method": "password", "traits": map[string]any{"email": "x@example.com"}, "password": "a fine password"})
	if r.StatusCode != 403 || r.Map(t)["error"].(map[string]any)["id"] != "security_csrf_violation" {
		t.Fatalf("csrf: %d %s", r.StatusCode, r.Body)
	}
	tok := s.RegisterNative(t, "y@example.com", "a fine password")
	r = app.Do(http.MethodGet, s.PublicURL("/self-service/registration/api"), nil, http.Header{"X-Session-Token": {tok}})
	if r.StatusCode != 400 || r.Map(t)["error"].(map[string]any)["id"] != "session_already_available" {
		t.Fatalf("with a session: %d %s", r.StatusCode, r.Body)
	}
}
