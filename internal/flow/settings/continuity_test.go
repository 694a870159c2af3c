package settings_test

import (
	"database/sql"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/portico-auth/portico/internal/apptest"
	"github.com/portico-auth/portico/internal/flow/settings"
	"github.com/portico-auth/portico/internal/identity"
	"github.com/portico-auth/portico/internal/session"
)

// A parked settings change (a submission waiting for a refresh login) belongs to the session
// that submitted it and, for browser flows, to the browser that submitted it. These tests are
// the attacks on that rule: someone holding a stale session parks a change and waits for the
// owner to re-authenticate.

const attackerPassword = "the attacker's own passphrase"

// stale makes every session of the fixture older than privileged_session_max_age.
func (fx *fixture) stale() {
	fx.s.Clock.Advance(fx.s.Config.SelfService.Flows.Settings.PrivilegedSessionMaxAge + 1)
}

// resumeURL is where a refresh login returns to for flow id.
func (fx *fixture) resumeURL(id string) string {
	return fx.url("/self-service/settings?flow=" + id)
}

// parkInBrowser submits a password change from browser b (an HTML form) while b's session is
// stale and returns the parked flow's id and the reply.
func (fx *fixture) parkInBrowser(t *testing.T, b *apptest.Client, newPassword string) (string, *apptest.Response) {
	t.Helper()
	g := b.Do(http.MethodGet, fx.url("/self-service/settings/browser"), nil, http.Header{"Accept": {"application/json"}})
	wantStatus(t, g, http.StatusOK)
	f := decodeFlow(t, g)
	r := b.PostForm(fx.url("/self-service/settings?flow="+f.ID), url.Values{
		"csrf_token": {f.csrf()}, "method": {"password"}, "password": {newPassword},
	})
	wantStatus(t, r, http.StatusSeeOther)
	want := fx.url("/self-service/login/browser?refresh=true&return_to=" + url.QueryEscape(fx.resumeURL(f.ID)))
	wantLocation(t, r, want)
	return f.ID, r
}

// loginReturningTo signs browser b in through /self-service/login/browser with the given query
// (refresh, return_to) and returns where the login sends it.
func (fx *fixture) loginReturningTo(t *testing.T, b *apptest.Client, q url.Values) string {
	t.Helper()
	r := b.Get(fx.url("/self-service/login/browser?" + q.Encode()))
	wantStatus(t, r, http.StatusSeeOther)
	id := apptest.URL(t, r.Header.Get("Location")).Query().Get("flow")
	if id == "" {
		t.Fatalf("login/browser: sent to %s", r.Header.Get("Location"))
	}
	lf := b.Do(http.MethodGet, fx.url("/self-service/login/flows?id="+id), nil, http.Header{"Accept": {"application/json"}})
	wantStatus(t, lf, http.StatusOK)
	r = b.PostForm(fx.url("/self-service/login?flow="+id), url.Values{
		"csrf_token": {apptest.CSRFToken(t, lf)}, "method": {"password"}, "identifier": {"a@example.com"}, "password": {password},
	})
	wantStatus(t, r, http.StatusSeeOther)
	return r.Header.Get("Location")
}

// refreshLogin is the refresh login a parked change asks for, done by browser b.
func (fx *fixture) refreshLogin(t *testing.T, b *apptest.Client, flowID string) {
	t.Helper()
	back := fx.resumeURL(flowID)
	if to := fx.loginReturningTo(t, b, url.Values{"refresh": {"true"}, "return_to": {back}}); to != back {
		t.Fatalf("refresh login sent the browser to %s, want %s", to, back)
	}
}

// wantFormShown: the resume by browser b answered by showing the flow's form again (no
// change applied); b then reads the flow as the settings UI would.
func wantFormShown(t *testing.T, fx *fixture, b *apptest.Client, r *apptest.Response, flowID string) {
	t.Helper()
	wantStatus(t, r, http.StatusSeeOther)
	wantLocation(t, r, fx.uiURL(flowID))
	g := b.Do(http.MethodGet, fx.url("/self-service/settings/flows?id="+flowID), nil, http.Header{"Accept": {"application/json"}})
	f := decodeFlow(t, g)
	if f.State == "success" {
		t.Fatalf("flow state %q after a resume that must not apply", f.State)
	}
}

func (fx *fixture) wantPasswordUnchanged(t *testing.T) {
	t.Helper()
	if fx.passwordIs(t, attackerPassword) {
		t.Fatal("the parked password change was applied")
	}
	if !fx.passwordIs(t, password) {
		t.Fatal("the password changed")
	}
}

func continuityCookie(r *apptest.Response) *http.Cookie {
	for _, c := range r.Cookies() {
		if c.Name == settings.ContinuityCookieName {
			return c
		}
	}
	return nil
}

// (a) A stale session parks a password change; the owner, signed in afresh in their own
// browser, opens the resume URL: nothing is applied, and the change is gone for good.
func TestParkedChangeNotAppliedForAnotherSession(t *testing.T) {
	fx := newFixture(t)
	attacker := fx.browser(t)
	fx.stale()
	id, _ := fx.parkInBrowser(t, attacker, attackerPassword)

	owner := fx.s.Browser(t)
	fx.s.LoginBrowser(t, owner, "a@example.com", password)
	wantFormShown(t, fx, owner, owner.Get(fx.resumeURL(id)), id)
	fx.wantPasswordUnchanged(t)

	// The change was discarded, not kept: even the parking browser cannot apply it later.
	fx.refresh(t)
	attacker.Get(fx.resumeURL(id))
	fx.wantPasswordUnchanged(t)
}

// (b) The same attack sent as a link: the owner signs in through
// /self-service/login/browser?return_to=<resume URL> and is sent to it.
func TestParkedChangeNotAppliedThroughLoginReturnTo(t *testing.T) {
	fx := newFixture(t)
	attacker := fx.browser(t)
	fx.stale()
	id, _ := fx.parkInBrowser(t, attacker, attackerPassword)

	owner := fx.s.Browser(t)
	back := fx.resumeURL(id)
	if to := fx.loginReturningTo(t, owner, url.Values{"return_to": {back}}); to != back {
		t.Fatalf("login sent the owner to %s, want %s", to, back)
	}
	wantFormShown(t, fx, owner, owner.Get(back), id)
	fx.wantPasswordUnchanged(t)
}

// (c) The browser that parked the change, after its refresh login, gets it applied exactly
// once; the continuity cookie that proves the browser is HttpOnly, SameSite=Strict, and is
// dropped once used.
func TestParkedChangeAppliedOnceForTheParkingBrowser(t *testing.T) {
	fx := newFixture(t)
	b := fx.s.Browser(t)
	fx.s.LoginBrowser(t, b, "a@example.com", password)
	fx.stale()
	const newPassword = "a brand new passphrase"
	id, parked := fx.parkInBrowser(t, b, newPassword)
	c := continuityCookie(parked)
	if c == nil || c.Value == "" || !c.HttpOnly || c.SameSite != http.SameSiteStrictMode || c.MaxAge <= 0 {
		t.Fatalf("continuity cookie %+v, want HttpOnly, SameSite=Strict, with a lifetime", c)
	}
	if strings.Contains(string(parked.Body), newPassword) {
		t.Fatal("the parked password travels back")
	}

	fx.refreshLogin(t, b, id)
	r := b.Get(fx.resumeURL(id))
	wantStatus(t, r, http.StatusSeeOther)
	wantLocation(t, r, fx.uiURL(id))
	if !fx.passwordIs(t, newPassword) {
		t.Fatal("the parked password change was not applied")
	}
	if c := continuityCookie(r); c == nil || c.MaxAge >= 0 {
		t.Errorf("continuity cookie not dropped after use: %+v", c)
	}

	// Once: the same resume again applies nothing (the password set meanwhile stays).
	changeTo := "set by an administrator meanwhile"
	ident := fx.storedIdentity(t)
	if err := fx.s.App.Identities.SetPassword(t.Context(), ident, changeTo, ""); err != nil {
		t.Fatal(err)
	}
	if err := fx.s.App.Identities.Update(t.Context(), ident); err != nil {
		t.Fatal(err)
	}
	b.Get(fx.resumeURL(id))
	if !fx.passwordIs(t, changeTo) {
		t.Fatal("the parked change was applied a second time")
	}
}

// (d) Someone who stole the session cookie parks a change in their own browser; the owner's
// browser, holding the same session, refreshes it and opens the resume URL: the owner's
// browser did not park the change, so it is not applied.
func TestParkedChangeNotAppliedInAnotherBrowserOfTheSession(t *testing.T) {
	fx := newFixture(t)
	thief := fx.browser(t)
	owner := fx.browser(t)
	fx.stale()
	id, _ := fx.parkInBrowser(t, thief, attackerPassword)

	fx.refreshLogin(t, owner, id)
	wantFormShown(t, fx, owner, owner.Get(fx.resumeURL(id)), id)
	fx.wantPasswordUnchanged(t)
}

// (e) The session re-authenticated but does not meet the AAL the flow needs (the identity
// gained a second factor since the change was parked): nothing is applied.
func TestParkedChangeNeedsTheFlowsAAL(t *testing.T) {
	fx := newFixture(t, apptest.WithEnv("SELFSERVICE_METHODS_TOTP_ENABLED", "true"))
	b := fx.browser(t)
	fx.stale()
	id, _ := fx.parkInBrowser(t, b, attackerPassword)
	fx.addTOTP(t)
	fx.refresh(t)

	r := b.Get(fx.resumeURL(id))
	wantStatus(t, r, http.StatusSeeOther)
	if loc := r.Header.Get("Location"); !strings.Contains(loc, "aal=aal2") {
		t.Errorf("sent to %s, want the aal2 login", loc)
	}
	fx.wantPasswordUnchanged(t)
	j := fx.spa(t).Get(fx.resumeURL(id))
	if e := decodeError(t, j); e.Error.ID != "session_aal2_required" {
		t.Errorf("JSON resume: %s", j.Body)
	}
	fx.wantPasswordUnchanged(t)
}

// (f) 100 concurrent resumes of one parked change by the browser that parked it: the change
// is applied at most once (here exactly once), in each of several rounds. Every application
// answers with its own new flow in ui.action, so the distinct actions of the successful
// replies count the applications (a reply that merely shows the flow after another request
// applied it repeats that action); a reply other than 200 is a request that ran the parked
// submission again and lost (the method refused it, or its identity write lost the race).
func TestParkedChangeConcurrentResumesApplyOnce(t *testing.T) {
	fx := newFixture(t)
	spa := fx.spa(t)
	// n connections opened beforehand, so the n resumes reach the server together.
	const n, rounds = 100, 5
	spa.HTTP.Transport = &http.Transport{MaxIdleConnsPerHost: n}
	var warm sync.WaitGroup
	for range n {
		warm.Add(1)
		go func() { defer warm.Done(); spa.Get(fx.url("/health/alive")) }()
	}
	warm.Wait()

	for round := range rounds {
		newPassword := fmt.Sprintf("a brand new passphrase, round %d", round)
		fx.stale()
		f := fx.newBrowserFlow(t, spa)
		wantStatus(t, submit(fx, spa, f, map[string]any{"method": "password", "password": newPassword}), http.StatusForbidden)
		fx.refresh(t)

		var (
			wg       sync.WaitGroup
			mu       sync.Mutex
			applied  = map[string]bool{}
			statuses = map[int]int{}
		)
		start := make(chan struct{})
		for range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				r := spa.Get(fx.resumeURL(f.ID))
				mu.Lock()
				defer mu.Unlock()
				statuses[r.StatusCode]++
				var got settingsFlow
				if r.StatusCode == http.StatusOK && json.Unmarshal(r.Body, &got) == nil && got.State == "success" {
					applied[got.UI.Action] = true
				}
			}()
		}
		close(start)
		wg.Wait()
		if len(applied) != 1 || statuses[http.StatusOK] != n {
			t.Fatalf("round %d: the parked change was applied by %d replies, statuses %v; want once, %d × 200",
				round, len(applied), statuses, n)
		}
		if !fx.passwordIs(t, newPassword) {
			t.Fatalf("round %d: password not changed", round)
		}
	}
}

// An API flow's parked change belongs to the session whose token parked it: another session
// of the identity, or a request carrying cookies, cannot apply it; the parking app's token
// after its refresh login can.
func TestParkedAPIChangeBoundToTheSessionToken(t *testing.T) {
	park := func(t *testing.T, fx *fixture) string {
		t.Helper()
		f := fx.newAPIFlow(t)
		r := fx.native(t).PostJSON(fx.url("/self-service/settings?flow="+f.ID), map[string]any{"method": "password", "password": attackerPassword})
		wantStatus(t, r, http.StatusForbidden)
		return f.ID
	}
	t.Run("another session", func(t *testing.T) {
		fx := newFixture(t)
		fx.stale()
		id := park(t, fx)
		other := fx.s.Native(t)
		other.Header.Set("X-Session-Token", fx.s.LoginNative(t, "a@example.com", password))
		r := other.Get(fx.resumeURL(id))
		wantStatus(t, r, http.StatusOK)
		if f := decodeFlow(t, r); f.State == "success" {
			t.Fatal("applied for another session")
		}
		fx.wantPasswordUnchanged(t)
		fx.refresh(t)
		fx.native(t).Get(fx.resumeURL(id))
		fx.wantPasswordUnchanged(t)
	})
	t.Run("the token with a cookie", func(t *testing.T) {
		fx := newFixture(t)
		fx.stale()
		id := park(t, fx)
		fx.refresh(t)
		r := fx.native(t).Do(http.MethodGet, fx.resumeURL(id), nil, http.Header{"Cookie": {"x=y"}})
		if r.StatusCode == http.StatusOK && strings.Contains(string(r.Body), `"state":"success"`) {
			t.Fatal("applied for a request carrying cookies")
		}
		fx.wantPasswordUnchanged(t)
	})
	t.Run("the parking session", func(t *testing.T) {
		fx := newFixture(t)
		fx.stale()
		id := park(t, fx)
		fx.refresh(t)
		r := fx.native(t).Get(fx.resumeURL(id))
		wantStatus(t, r, http.StatusOK)
		if f := decodeFlow(t, r); f.State != "success" || !fx.passwordIs(t, attackerPassword) {
			t.Fatalf("state %q: not applied for the parking session", f.State)
		}
	})
}

// A parked change holds a new password until it is applied: no stored row shows it or the
// continuity cookie in the clear (the record keeps only the cookie's hash).
func TestParkedChangeSealedAtRest(t *testing.T) {
	fx := newFixture(t)
	b := fx.browser(t)
	fx.stale()
	const newPassword = "a parked passphrase 1234"
	_, parked := fx.parkInBrowser(t, b, newPassword)
	cookie := continuityCookie(parked)
	if cookie == nil {
		t.Fatal("no continuity cookie")
	}
	sqlStore, ok := fx.s.App.Store.(interface{ DB() *sql.DB })
	if !ok {
		t.Fatalf("store %T has no database handle to scan", fx.s.App.Store)
	}
	db := sqlStore.DB()
	rows, err := db.QueryContext(t.Context(), "SELECT kind, data, COALESCE(private, '') FROM flows")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	records := 0
	for rows.Next() {
		var kind, data, private string
		if err := rows.Scan(&kind, &data, &private); err != nil {
			t.Fatal(err)
		}
		for _, secret := range []string{newPassword, cookie.Value} {
			if strings.Contains(data, secret) || strings.Contains(private, secret) {
				t.Errorf("%s row stores %q in the clear", kind, secret)
			}
		}
		if kind == settings.ContinuityKind {
			records++
			if private == "" || strings.HasPrefix(private, "{") {
				t.Errorf("parked change not sealed: %q", private)
			}
		}
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if records != 1 {
		t.Errorf("%d parked change records, want 1", records)
	}
}

// The same rule holds for every method that needs a privileged session: a TOTP unlink parked
// by a stale aal2 session is not applied for the owner's fresh aal2 session.
func TestParkedTOTPUnlinkNotAppliedForAnotherSession(t *testing.T) {
	fx := newFixture(t, apptest.WithEnv("SELFSERVICE_METHODS_TOTP_ENABLED", "true"))
	fx.addTOTP(t)
	attacker := fx.s.SPA(t)
	attacker.SetSessionCookie(fx.s, fx.s.IssueSession(t, fx.ident, session.AAL2))
	fx.stale()
	f := fx.newBrowserFlow(t, attacker)
	r := submit(fx, attacker, f, map[string]any{"method": "totp", "totp_unlink": true})
	if e := decodeError(t, r); e.Error.ID != "session_refresh_required" {
		t.Fatalf("unlink with a stale session: %s", r.Body)
	}

	owner := fx.s.Browser(t)
	owner.SetSessionCookie(fx.s, fx.s.IssueSession(t, fx.ident, session.AAL2))
	wantFormShown(t, fx, owner, owner.Get(fx.resumeURL(f.ID)), f.ID)
	if _, ok := fx.storedIdentity(t).Credentials[identity.CredentialsTOTP]; !ok {
		t.Fatal("the parked TOTP unlink was applied")
	}
}
