package deleteaccount_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/portico-auth/portico/internal/apptest"
	"github.com/portico-auth/portico/internal/apptest/mfatest"
	"github.com/portico-auth/portico/internal/audit"
	"github.com/portico-auth/portico/internal/identity"
	"github.com/portico-auth/portico/internal/store"
	"github.com/portico-auth/portico/internal/text"
)

const password = mfatest.Password

// start starts Portico with delete_account on (unless off), collecting its log.
func start(t *testing.T, on bool) (*apptest.Server, *apptest.Logs) {
	sink := &apptest.Logs{}
	opts := []apptest.Option{apptest.WithLogs(sink)}
	if on {
		opts = append(opts, apptest.WithEnv("SELFSERVICE_METHODS_DELETE_ACCOUNT_ENABLED", "true"))
	}
	return apptest.Start(t, opts...), sink
}

// person creates an identity with a password and a verified email address.
func person(t *testing.T, s *apptest.Server, local string) (*identity.Identity, string) {
	t.Helper()
	email := apptest.Email(local)
	ident := s.CreateIdentity(t, email, password)
	if err := s.App.Store.MarkAddressVerified(context.Background(), ident.ID, "email", email, s.Clock.Now()); err != nil {
		t.Fatal(err)
	}
	return ident, email
}

// gone checks that the identity no longer exists and p's session no longer works.
func gone(t *testing.T, s *apptest.Server, p *mfatest.Party, ident *identity.Identity) {
	t.Helper()
	if w := p.Whoami(); w.StatusCode != http.StatusUnauthorized {
		t.Fatalf("whoami after deletion: %d %s", w.StatusCode, w.Body)
	}
	if r := s.Native(t).Get(s.AdminURL("/admin/identities/" + ident.ID.String())); r.StatusCode != http.StatusNotFound {
		t.Fatalf("admin get after deletion: %d %s", r.StatusCode, r.Body)
	}
}

// deleted checks the reply to a deletion as each client gets it: the browser sent to the login
// UI with its session cookie cleared, the SPA told so in continue_with, the app an empty
// continue_with.
func deleted(t *testing.T, s *apptest.Server, kind string, res *apptest.Response) {
	t.Helper()
	login := s.Config.SelfService.Flows.Login.UIURL
	switch kind {
	case "browser":
		if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != login {
			t.Fatalf("browser deletion: %d to %q, want %q", res.StatusCode, res.Header.Get("Location"), login)
		}
	case "spa":
		if res.StatusCode != http.StatusOK || mfatest.Str(mfatest.Walk(res.Map(t), "continue_with").([]any)[0], "redirect_browser_to") != login {
			t.Fatalf("spa deletion: %d %s", res.StatusCode, res.Body)
		}
	default:
		if res.StatusCode != http.StatusOK || strings.TrimSpace(string(res.Body)) != `{"continue_with":[]}` {
			t.Fatalf("native deletion: %d %s", res.StatusCode, res.Body)
		}
	}
	if kind != "native" {
		cleared := false
		for _, c := range res.Cookies() {
			cleared = cleared || (c.Name == s.App.Sessions.Options().CookieName && c.MaxAge < 0)
		}
		if !cleared {
			t.Fatalf("%s deletion did not clear the session cookie: %v", kind, res.Header["Set-Cookie"])
		}
	}
	if cc := res.Header.Get("Cache-Control"); !strings.Contains(cc, "no-store") {
		t.Fatalf("deletion reply Cache-Control %q", cc)
	}
}

// TestDeleteAccount deletes an account from the settings flow as each client: a wrong
// confirmation is refused and deletes nothing; the right one removes the identity and its
// session, sends the person to the login UI, mails the verified address and writes the
// audit line.
func TestDeleteAccount(t *testing.T) {
	for _, kind := range mfatest.Kinds {
		t.Run(kind, func(t *testing.T) {
			s, logs := start(t, true)
			mail := s.StartMail(t)
			ident, email := person(t, s, "delete-"+kind)
			p := mfatest.SignIn(t, s, kind, ident)
			p.C.Header.Set("User-Agent", "DeleteTest/1.0")

			_, f := p.StartSettings()
			names := mfatest.Names(f)
			if got := strings.Join(names[len(names)-2:], " "); got != "delete_account:confirm delete_account:method=delete_account" {
				t.Fatalf("nodes %v", names)
			}
			label := mfatest.Walk(mfatest.Node(f, "delete_account", "confirm"), "meta", "label")
			if id, _ := mfatest.Walk(label, "id").(float64); int(id) != text.InfoSettingsDeleteAccountConfirm || !strings.Contains(mfatest.Str(label, "text"), "DELETE") {
				t.Fatalf("confirm label %v", label)
			}

			res, bad := p.Submit("settings", f, map[string]any{"method": "delete_account", "confirm": "delete"})
			if kind != "browser" && res.StatusCode != http.StatusBadRequest {
				t.Fatalf("wrong confirmation: %d %s", res.StatusCode, res.Body)
			}
			if !mfatest.Has(mfatest.MessageIDs(bad), text.ErrorValidationDeleteAccountConfirm) {
				t.Fatalf("wrong confirmation: messages %v", mfatest.MessageIDs(bad))
			}
			if w := p.Whoami(); w.StatusCode != http.StatusOK {
				t.Fatalf("whoami after a refused deletion: %d %s", w.StatusCode, w.Body)
			}

			res, _ = p.Submit("settings", bad, map[string]any{"method": "delete_account", "confirm": "DELETE"})
			deleted(t, s, kind, res)
			gone(t, s, p, ident)

			m := mail.Last(t, email)
			if !strings.Contains(m.Subject, "deleted") || !strings.Contains(m.Text, "DeleteTest/1.0") {
				t.Fatalf("notice %q:\n%s", m.Subject, m.Text)
			}
			var line map[string]any
			for _, l := range strings.Split(logs.String(), "\n") {
				if strings.Contains(l, `"audit":"identity_deleted"`) {
					if err := json.Unmarshal([]byte(l), &line); err != nil {
						t.Fatal(err)
					}
				}
			}
			if line["identity_id"] != ident.ID.String() || line["user_agent"] != "DeleteTest/1.0" || line["level"] != "INFO" {
				t.Fatalf("audit line %v in\n%s", line, logs.String())
			}
			evs, _, err := s.App.Store.ListEvents(context.Background(), ident.ID, store.ListParams{})
			if err != nil || len(evs) == 0 || evs[0].Type != audit.IdentityDeleted || evs[0].UserAgent != "DeleteTest/1.0" ||
				string(evs[0].Details) != `{"by":"self"}` {
				t.Fatalf("audit trail after the deletion: %+v (%v)", evs, err)
			}
			if strings.Contains(logs.String(), email) {
				t.Fatal("the log names the deleted address")
			}
			// The address is free again: the person can sign up anew.
			s.CreateIdentity(t, email, password)
		})
	}
}

// TestDeleteAccountNeedsPrivilegedSession: with a session older than
// privileged_session_max_age the deletion is parked and a refresh login asked for; nothing is
// deleted until that login, after which the parked deletion is applied once, as each client.
func TestDeleteAccountNeedsPrivilegedSession(t *testing.T) {
	for _, kind := range mfatest.Kinds {
		t.Run(kind, func(t *testing.T) {
			s, _ := start(t, true)
			ident, email := person(t, s, "refresh-"+kind)
			p := mfatest.SignIn(t, s, kind, ident)
			_, f := p.StartSettings()
			s.Clock.Advance(2 * time.Hour)
			_, f = p.StartSettings() // the first one expired meanwhile

			res, _ := p.Submit("settings", f, map[string]any{"method": "delete_account", "confirm": "DELETE"})
			var to string
			if kind == "browser" {
				to = res.Header.Get("Location")
			} else {
				m := res.Map(t)
				if res.StatusCode != http.StatusForbidden || mfatest.Str(m, "error", "id") != "session_refresh_required" {
					t.Fatalf("stale session: %d %s", res.StatusCode, res.Body)
				}
				to = mfatest.Str(m, "redirect_browser_to")
			}
			resume := apptest.URL(t, to).Query().Get("return_to")
			if !strings.Contains(to, "refresh=true") || !strings.Contains(resume, "/self-service/settings?flow=") {
				t.Fatalf("stale session sent to %q", to)
			}
			if w := p.Whoami(); w.StatusCode != http.StatusOK {
				t.Fatalf("deleted before the refresh login: %d %s", w.StatusCode, w.Body)
			}

			_, lf := p.StartLogin("refresh=true&return_to=" + url.QueryEscape(resume))
			if lf == nil {
				t.Fatal("no refresh login flow")
			}
			if kind == "browser" {
				// A form post, not mfatest's Submit: the login sends the browser on to the
				// settings flow, which Submit would read as a login flow.
				res = p.C.PostForm(mfatest.Str(lf, "ui", "action"), url.Values{"csrf_token": {mfatest.CSRF(lf)},
					"method": {"password"}, "identifier": {email}, "password": {password}})
				if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != resume {
					t.Fatalf("refresh login: %d to %q", res.StatusCode, res.Header.Get("Location"))
				}
			} else {
				res, _ = p.Submit("login", lf, map[string]any{"method": "password", "identifier": email, "password": password})
				if res.StatusCode != http.StatusOK {
					t.Fatalf("refresh login: %d %s", res.StatusCode, res.Body)
				}
			}
			var hdr http.Header
			if kind == "spa" {
				hdr = http.Header{"Accept": {"application/json"}}
			}
			deleted(t, s, kind, p.C.Do(http.MethodGet, resume, nil, hdr))
			gone(t, s, p, ident)
		})
	}
}

// TestDeleteAccountOff: without selfservice.methods.delete_account.enabled (the default) a
// Kratos client sees no such group, and a submission naming it changes nothing; an identity an
// admin forbade to delete itself sees no group either and is refused.
func TestDeleteAccountOff(t *testing.T) {
	for _, on := range []bool{false, true} {
		s, _ := start(t, on)
		ident, _ := person(t, s, "off")
		if on {
			r := s.Native(t).Do(http.MethodPatch, s.AdminURL("/admin/identities/"+ident.ID.String()),
				strings.NewReader(`[{"op":"add","path":"/metadata_admin","value":{"delete_account_disabled":true}}]`),
				http.Header{"Content-Type": {"application/json"}})
			if r.StatusCode != http.StatusOK {
				t.Fatalf("admin patch: %d %s", r.StatusCode, r.Body)
			}
		}
		p := mfatest.SignIn(t, s, "native", ident)
		_, f := p.StartSettings()
		if mfatest.Node(f, "delete_account", "confirm") != nil {
			t.Fatalf("on=%v: delete_account offered: %v", on, mfatest.Names(f))
		}
		res, _ := p.Submit("settings", f, map[string]any{"method": "delete_account", "confirm": "DELETE"})
		want := map[bool]int{false: http.StatusBadRequest, true: http.StatusForbidden}[on]
		if res.StatusCode != want {
			t.Fatalf("on=%v: submission %d %s, want %d", on, res.StatusCode, res.Body, want)
		}
		if w := p.Whoami(); w.StatusCode != http.StatusOK {
			t.Fatalf("on=%v: whoami %d %s", on, w.StatusCode, w.Body)
		}
	}
}

// TestDeleteAccountRacesSignIns: a deletion racing 100 sign-ins and profile changes of the same
// identity leaves no half state: no request fails with a server error, every session a sign-in
// got stops working, and nothing of the identity is left in the store.
func TestDeleteAccountRacesSignIns(t *testing.T) {
	s, _ := start(t, true)
	ident, email := person(t, s, "race")
	deleter := mfatest.SignIn(t, s, "native", ident)
	editor := mfatest.SignIn(t, s, "native", ident)
	_, df := deleter.StartSettings()
	var (
		mu       sync.Mutex
		tokens   []string
		wg       sync.WaitGroup
		once     sync.Once
		finished atomic.Int32
	)
	begin := make(chan struct{})
	// The deletion starts once a few sign-ins have landed, so that it races the rest in
	// flight and has sessions made by the racing requests to remove.
	someIn := make(chan struct{})
	fail := func(format string, args ...any) {
		mu.Lock()
		defer mu.Unlock()
		t.Errorf(format, args...)
	}
	for i := range 100 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			app := s.Native(t)
			if i%4 == 3 {
				_, f := editor.StartSettings()
				<-begin
				if f == nil {
					return // the identity is gone already: the flow cannot be made
				}
				res, _ := editor.Submit("settings", f, map[string]any{"method": "profile",
					"traits": map[string]any{"email": email, "name": map[string]any{"first": "Race", "last": "Condition"}}})
				if res.StatusCode >= 500 {
					fail("profile change: %d %s", res.StatusCode, res.Body)
				}
				return
			}
			// Should fewer than five sign-ins succeed, the last one to finish starts the deletion.
			defer func() {
				if finished.Add(1) == 75 {
					once.Do(func() { close(someIn) })
				}
			}()
			lf := app.Get(s.PublicURL("/self-service/login/api"))
			var flowID struct{ ID string }
			lf.JSON(t, &flowID)
			<-begin
			res := app.PostJSON(s.PublicURL("/self-service/login?flow="+flowID.ID), map[string]any{
				"method": "password", "identifier": email, "password": password})
			switch {
			case res.StatusCode == http.StatusOK:
				var out struct {
					SessionToken string `json:"session_token"`
				}
				res.JSON(t, &out)
				mu.Lock()
				tokens = append(tokens, out.SessionToken)
				if len(tokens) == 5 {
					once.Do(func() { close(someIn) })
				}
				mu.Unlock()
			case res.StatusCode >= 500:
				fail("login: %d %s", res.StatusCode, res.Body)
			}
		}()
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		<-someIn
		res, _ := deleter.Submit("settings", df, map[string]any{"method": "delete_account", "confirm": "DELETE"})
		if res.StatusCode != http.StatusOK {
			fail("deletion: %d %s", res.StatusCode, res.Body)
		}
	}()
	close(begin)
	wg.Wait()
	gone(t, s, deleter, ident)
	for _, tok := range tokens {
		app := s.Native(t)
		app.Header.Set("X-Session-Token", tok)
		if w := app.Get(s.PublicURL("/sessions/whoami")); w.StatusCode != http.StatusUnauthorized {
			t.Errorf("a session from a racing sign-in outlived the deletion: %d", w.StatusCode)
		}
	}
	left, _, err := s.App.Store.ListSessions(context.Background(), ident.ID, nil, store.ListParams{PageSize: 500})
	if err != nil || len(left) != 0 {
		t.Fatalf("%d sessions left (%v)", len(left), err)
	}
	t.Logf("%d sign-ins succeeded before the deletion", len(tokens))
}
