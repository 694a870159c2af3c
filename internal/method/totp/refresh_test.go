package totp_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/portico-auth/portico/internal/apptest"
	"github.com/portico-auth/portico/internal/apptest/mfatest"
	"github.com/portico-auth/portico/internal/courier"
	"github.com/portico-auth/portico/internal/session"
	"github.com/portico-auth/portico/internal/store"
	"github.com/portico-auth/portico/internal/text"
)

// post submits fields to a flow's action without following anything: a form for the
// browser, JSON otherwise.
func post(p *mfatest.Party, f map[string]any, fields map[string]string) *apptest.Response {
	p.T.Helper()
	if csrf := mfatest.CSRF(f); csrf != "" {
		fields["csrf_token"] = csrf
	}
	action := mfatest.Str(f, "ui", "action")
	if p.Kind == "browser" {
		form := url.Values{}
		for k, v := range fields {
			form.Set(k, v)
		}
		return p.C.PostForm(action, form)
	}
	body := map[string]any{}
	for k, v := range fields {
		body[k] = v
	}
	return p.C.PostJSON(action, body)
}

// resume is what the client does where the refresh login returns to: the browser navigates
// there, an SPA or app reads it as JSON.
func resume(p *mfatest.Party, flowID string) *apptest.Response {
	p.T.Helper()
	u := p.S.PublicURL("/self-service/settings?flow=" + flowID)
	if p.Kind == "browser" {
		return p.C.Get(u)
	}
	return p.C.Do(http.MethodGet, u, nil, http.Header{"Accept": {"application/json"}})
}

// refreshTarget is where a refusal for want of a privileged session sends the client: the
// redirect of a browser, the redirect_browser_to of a JSON reply ("" when it is no such
// refusal).
func refreshTarget(t *testing.T, p *mfatest.Party, r *apptest.Response) string {
	t.Helper()
	if p.Kind == "browser" {
		if r.StatusCode != http.StatusSeeOther {
			return ""
		}
		return r.Header.Get("Location")
	}
	if r.StatusCode != http.StatusForbidden || mfatest.Str(r.Map(t), "error", "id") != "session_refresh_required" {
		return ""
	}
	return mfatest.Str(r.Map(t), "redirect_browser_to")
}

// credentialNotices counts the credential_changed messages queued to address.
func credentialNotices(t *testing.T, s *apptest.Server, address string) int {
	t.Helper()
	list, _, err := s.App.Store.ListMessages(context.Background(), store.MessageFilter{Recipient: address}, store.ListParams{})
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, m := range list {
		if m.TemplateType == string(courier.CredentialChanged) {
			n++
		}
	}
	return n
}

// TestRefreshAsksForEveryFactor is issue 18 item 1 for each client: a password change of an
// identity with TOTP, on a session past privileged_session_max_age, is parked and needs a
// refresh login; that login asks for the password and then, on the same flow, for the TOTP
// code; the password alone does not make the session privileged (the parked change stays
// parked, and the client is sent to the second factor); after both, the parked change is
// applied exactly once although 100 resumes of it race.
func TestRefreshAsksForEveryFactor(t *testing.T) {
	s := start(t, apptest.WithEnv("SELFSERVICE_FLOWS_SETTINGS_LIFESPAN", "10h"))
	for _, kind := range mfatest.Kinds {
		t.Run(kind, func(t *testing.T) {
			email := apptest.Email(kind + "-refresh")
			ident := s.CreateIdentity(t, email, password)
			if err := s.App.Store.MarkAddressVerified(context.Background(), ident.ID, "email", email, s.Clock.Now()); err != nil {
				t.Fatal(err)
			}
			secret := enrol(t, mfatest.SignInWith(t, s, "spa", ident, session.AAL2, "password", "totp"))
			ident, err := s.App.Store.GetIdentity(context.Background(), ident.ID, true)
			if err != nil {
				t.Fatal(err)
			}
			p := mfatest.SignInWith(t, s, kind, ident, session.AAL2, "password", "totp")
			before := credentialNotices(t, s, email)

			// The session's authentication grows old; the change is parked.
			s.Clock.Advance(2 * time.Hour)
			_, sf := p.StartSettings()
			if sf == nil {
				t.Fatal("no settings flow")
			}
			settingsID := mfatest.Str(sf, "id")
			const newPassword = "a new passphrase after a full refresh"
			r := post(p, sf, map[string]string{"method": "password", "password": newPassword})
			to := refreshTarget(t, p, r)
			if !strings.Contains(to, "/self-service/login/browser?") || !strings.Contains(to, "refresh=true") || strings.Contains(to, "aal=aal2") {
				t.Fatalf("stale change: %d %s -> %q", r.StatusCode, r.Body, to)
			}

			// The refresh login: first the password, on a refresh flow.
			_, lf := p.StartLogin("refresh=true&return_to=" + url.QueryEscape(s.PublicURL("/self-service/settings?flow="+settingsID)))
			if lf == nil || mfatest.Walk(lf, "refresh") != true {
				t.Fatalf("no refresh login flow: %v", lf)
			}
			r, step := p.Submit("login", lf, map[string]any{"method": "password", "identifier": email, "password": password})
			if kind != "browser" && r.StatusCode != http.StatusOK {
				t.Fatalf("first factor: %d %s", r.StatusCode, r.Body)
			}
			if mfatest.Str(step, "id") != mfatest.Str(lf, "id") || mfatest.Str(step, "requested_aal") != "aal2" ||
				mfatest.Node(step, "totp", "totp_code") == nil || mfatest.Node(step, "password", "password") != nil ||
				!mfatest.Has(mfatest.MessageIDs(step), text.InfoLoginMFA) || mfatest.Str(step, "session_token") != "" {
				t.Fatalf("after the password the refresh must ask for the second factor on the same flow: %d %v %s",
					r.StatusCode, mfatest.Names(step), r.Body)
			}

			// The password alone is not enough: the change stays parked, the client is sent to
			// the second factor.
			r = resume(p, settingsID)
			if to := refreshTarget(t, p, r); !strings.Contains(to, "aal=aal2") || !strings.Contains(to, "refresh=true") {
				t.Fatalf("resume after the first factor only: %d %s -> %q", r.StatusCode, r.Body, to)
			}
			if !s.PasswordIs(t, ident.ID, password) {
				t.Fatal("the change was applied after the first factor only")
			}

			// The second factor on the same flow completes the refresh.
			r = post(p, step, map[string]string{"method": "totp", "totp_code": code(t, secret, s.Clock.Now())})
			switch kind {
			case "browser":
				if r.StatusCode != http.StatusSeeOther || r.Header.Get("Location") != s.PublicURL("/self-service/settings?flow="+settingsID) {
					t.Fatalf("second factor: %d %s", r.StatusCode, r.Header.Get("Location"))
				}
			default:
				if r.StatusCode != http.StatusOK || mfatest.Str(r.Map(t), "session", "authenticator_assurance_level") != "aal2" {
					t.Fatalf("second factor: %d %s", r.StatusCode, r.Body)
				}
			}

			// 100 resumes race: the change is applied once.
			const n = 100
			var (
				wg      sync.WaitGroup
				mu      sync.Mutex
				applied = map[string]bool{}
				bad     []int
			)
			startGun := make(chan struct{})
			for range n {
				wg.Add(1)
				go func() {
					defer wg.Done()
					<-startGun
					r := resume(p, settingsID)
					mu.Lock()
					defer mu.Unlock()
					switch {
					case kind == "browser" && r.StatusCode == http.StatusSeeOther:
					case kind != "browser" && r.StatusCode == http.StatusOK:
						// Each application answers with a new flow in ui.action; a reply that
						// shows the flow after another request applied it repeats that action.
						if m := r.Map(t); mfatest.Str(m, "state") == "success" {
							applied[mfatest.Str(m, "ui", "action")] = true
						}
					default:
						bad = append(bad, r.StatusCode)
					}
				}()
			}
			close(startGun)
			wg.Wait()
			if len(bad) > 0 || (kind != "browser" && len(applied) != 1) {
				t.Fatalf("100 resumes: applied by %d replies, other replies %v", len(applied), bad)
			}
			if !s.PasswordIs(t, ident.ID, newPassword) {
				t.Fatal("the parked change was not applied after the full refresh")
			}
			if got := credentialNotices(t, s, email) - before; got != 1 {
				t.Fatalf("the change was stored %d times, want once", got)
			}
		})
	}
}

// TestRefreshNeedsBothFactorsFresh: a step-up with the second factor alone does not make a
// stale session privileged (the change stays parked and the client is sent to the full
// refresh), and a session whose first factor is fresh but whose second is not is sent to the
// second-factor refresh, which then completes it — each client kind.
func TestRefreshNeedsBothFactorsFresh(t *testing.T) {
	s := start(t, apptest.WithEnv("SELFSERVICE_FLOWS_SETTINGS_LIFESPAN", "10h"))
	for _, kind := range mfatest.Kinds {
		t.Run(kind, func(t *testing.T) {
			email := apptest.Email(kind + "-fresh")
			ident := s.CreateIdentity(t, email, password)
			secret := enrol(t, mfatest.SignInWith(t, s, "spa", ident, session.AAL2, "password", "totp"))
			p := mfatest.SignInWith(t, s, kind, ident, session.AAL2, "password", "totp")
			s.Clock.Advance(2 * time.Hour)
			_, sf := p.StartSettings()
			settingsID := mfatest.Str(sf, "id")
			back := url.QueryEscape(s.PublicURL("/self-service/settings?flow=" + settingsID))
			const newPassword = "a new passphrase after two fresh factors"
			if to := refreshTarget(t, p, post(p, sf, map[string]string{"method": "password", "password": newPassword})); !strings.Contains(to, "refresh=true") {
				t.Fatalf("stale change not parked: %q", to)
			}
			secondFactor := func(q string) {
				t.Helper()
				_, lf := p.StartLogin(q)
				if lf == nil || mfatest.Node(lf, "totp", "totp_code") == nil {
					t.Fatalf("login %s: no TOTP step: %v", q, lf)
				}
				s.Clock.Advance(time.Minute) // a new TOTP window: codes are not replayed
				r := post(p, lf, map[string]string{"method": "totp", "totp_code": code(t, secret, s.Clock.Now())})
				if r.StatusCode != http.StatusOK && r.StatusCode != http.StatusSeeOther {
					t.Fatalf("login %s, TOTP: %d %s", q, r.StatusCode, r.Body)
				}
			}

			// The second factor alone, on a fresh aal2 refresh, is not enough.
			secondFactor("refresh=true&aal=aal2&return_to=" + back)
			to := refreshTarget(t, p, resume(p, settingsID))
			if !strings.Contains(to, "refresh=true") || strings.Contains(to, "aal=aal2") {
				t.Fatalf("after the second factor alone: sent to %q, want the full refresh", to)
			}
			if !s.PasswordIs(t, ident.ID, password) {
				t.Fatal("applied after the second factor alone")
			}

			// The first factor of a refresh, then the flow is left: the session lacks only the
			// second factor, and is sent to that step alone.
			s.Clock.Advance(2 * time.Hour)
			_, lf := p.StartLogin("refresh=true&return_to=" + back)
			if _, step := p.Submit("login", lf, map[string]any{"method": "password", "identifier": email, "password": password}); mfatest.Str(step, "requested_aal") != "aal2" {
				t.Fatalf("no second step: %v", step)
			}
			to = refreshTarget(t, p, resume(p, settingsID))
			if !strings.Contains(to, "aal=aal2") || !strings.Contains(to, "refresh=true") {
				t.Fatalf("after the first factor: sent to %q, want the second-factor refresh", to)
			}
			secondFactor(apptest.URL(t, to).RawQuery)
			r := resume(p, settingsID)
			if (kind == "browser" && r.StatusCode != http.StatusSeeOther) || (kind != "browser" && mfatest.Str(r.Map(t), "state") != "success") {
				t.Fatalf("resume after both factors: %d %s", r.StatusCode, r.Body)
			}
			if !s.PasswordIs(t, ident.ID, newPassword) {
				t.Fatal("not applied after both factors")
			}
		})
	}
}
