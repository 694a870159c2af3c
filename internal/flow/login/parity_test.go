package login_test

import (
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/portico-auth/portico/internal/apptest"
)

// TestLoginSubmitWithoutFlowParameter (issue 12 item 6, login): a submission whose ?flow= is
// missing, empty, malformed or the nil UUID is Kratos's 400 without an error id; an unknown
// flow stays 404; a browser form goes to the error UI.
func TestLoginSubmitWithoutFlowParameter(t *testing.T) {
	s := apptest.Start(t)
	for _, q := range []string{"", "?flow=", "?flow=nope", "?flow=" + uuid.Nil.String()} {
		for _, c := range []*apptest.Client{s.Native(t), s.SPA(t)} {
			r := c.PostJSON(s.PublicURL("/self-service/login"+q), map[string]any{"method": "password"})
			e := errorOf(t, r, http.StatusBadRequest, "")
			if e.Error.Reason != "The flow query parameter is missing or malformed." {
				t.Errorf("%q: %s", q, r.Body)
			}
		}
	}
	errorOf(t, submit(s.Native(t), s, uuid.NewString(), map[string]any{"method": "password"}), http.StatusNotFound, "")
	r := s.Browser(t).PostForm(s.PublicURL("/self-service/login"), map[string][]string{"method": {"password"}})
	if loc := r.Header.Get("Location"); r.StatusCode != http.StatusSeeOther || !strings.HasPrefix(loc, s.Config.FlowUIURL("error")+"?id=") {
		t.Errorf("browser form: %d %s", r.StatusCode, loc)
	}
}

// TestLoginSubmitExpiredFlow (issue 12 item 7, login): 410 self_service_flow_expired with
// use_flow_id, expired_at and since at the top level (Kratos's selfServiceFlowExpiredError)
// for an app and a browser's AJAX call; the new flow carries 4010001.
func TestLoginSubmitExpiredFlow(t *testing.T) {
	s := apptest.Start(t)
	s.CreateIdentity(t, email, pw)
	app, spa := s.Native(t), s.SPA(t)
	ids := map[string]string{"native": nativeFlow(t, s, app, "")}
	r := spa.Get(s.PublicURL("/self-service/login/browser"))
	ids["spa"] = r.Map(t)["id"].(string)
	csrf := apptest.CSRFToken(t, r)
	s.Clock.Advance(2 * time.Hour)
	for name, c := range map[string]*apptest.Client{"native": app, "spa": spa} {
		r := submit(c, s, ids[name], map[string]any{"method": "password", "identifier": email, "password": pw, "csrf_token": csrf})
		errorOf(t, r, http.StatusGone, "self_service_flow_expired")
		m := r.Map(t)
		next, _ := m["use_flow_id"].(string)
		since, _ := m["since"].(float64)
		details, _ := m["error"].(map[string]any)["details"].(map[string]any)
		if next == "" || next == ids[name] || m["expired_at"] == nil || since < float64(time.Hour) || details["use_flow_id"] != next {
			t.Fatalf("%s: %s", name, r.Body)
		}
		g := c.Get(s.PublicURL("/self-service/login/flows?id=" + next))
		var f flowReply
		g.JSON(t, &f)
		if !slices.Equal(f.messageIDs(), []int{4010001}) {
			t.Errorf("%s: new flow messages %v", name, f.messageIDs())
		}
	}
}
