package registration_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/portico-auth/portico/internal/apptest"
)

// TestRegistrationSubmitWithoutFlowParameter (issue 12 item 6, registration): a missing,
// empty, malformed or nil ?flow= is Kratos's 400 without an error id; unknown stays 404.
func TestRegistrationSubmitWithoutFlowParameter(t *testing.T) {
	s := apptest.Start(t)
	for _, q := range []string{"", "?flow=", "?flow=nope", "?flow=" + uuid.Nil.String()} {
		for _, c := range []*apptest.Client{s.Native(t), s.SPA(t)} {
			r := c.PostJSON(s.PublicURL("/self-service/registration"+q), map[string]any{"method": "password"})
			e, _ := r.Map(t)["error"].(map[string]any)
			if r.StatusCode != http.StatusBadRequest || e["id"] != nil || e["reason"] != "The flow query parameter is missing or malformed." {
				t.Errorf("%q: %d %s", q, r.StatusCode, r.Body)
			}
		}
	}
	if r := s.Native(t).PostJSON(s.PublicURL("/self-service/registration?flow="+uuid.NewString()), map[string]any{"method": "password"}); r.StatusCode != http.StatusNotFound {
		t.Errorf("unknown flow: %d %s", r.StatusCode, r.Body)
	}
	r := s.Browser(t).PostForm(s.PublicURL("/self-service/registration"), map[string][]string{"method": {"password"}})
	if loc := r.Header.Get("Location"); r.StatusCode != http.StatusSeeOther || !strings.HasPrefix(loc, s.Config.FlowUIURL("error")+"?id=") {
		t.Errorf("browser form: %d %s", r.StatusCode, loc)
	}
}

// TestRegistrationSubmitExpiredFlow (issue 12 item 7, registration): 410 with use_flow_id,
// expired_at and since at the top level; the new flow carries 4040001.
func TestRegistrationSubmitExpiredFlow(t *testing.T) {
	s := apptest.Start(t)
	app := s.Native(t)
	id := newFlow(t, s, app)
	s.Clock.Advance(2 * time.Hour)
	r := app.PostJSON(s.PublicURL("/self-service/registration?flow="+id), map[string]any{"method": "password"})
	m := r.Map(t)
	next, _ := m["use_flow_id"].(string)
	since, _ := m["since"].(float64)
	if r.StatusCode != http.StatusGone || next == "" || next == id || m["expired_at"] == nil || since < float64(time.Hour) ||
		r.Header.Get("Ory-Error-Id") != "self_service_flow_expired" {
		t.Fatalf("expired: %d %s", r.StatusCode, r.Body)
	}
	g := app.Get(s.PublicURL("/self-service/registration/flows?id=" + next))
	var f struct {
		UI struct {
			Messages []struct{ ID int } `json:"messages"`
		} `json:"ui"`
	}
	g.JSON(t, &f)
	if len(f.UI.Messages) != 1 || f.UI.Messages[0].ID != 4040001 {
		t.Errorf("new flow: %s", g.Body)
	}
}
