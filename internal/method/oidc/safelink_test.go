package oidc_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/google/uuid"

	"github.com/portico-auth/portico/internal/apptest"
	"github.com/portico-auth/portico/internal/apptest/mfatest"
	"github.com/portico-auth/portico/internal/method/oidc"
	"github.com/portico-auth/portico/internal/method/oidc/oidctest"
	"github.com/portico-auth/portico/internal/method/webauthn/webauthntest"
	"github.com/portico-auth/portico/internal/testdb"
	"github.com/portico-auth/portico/internal/text"
)

// password submits the password method of login flow id as browser c and reports whether it
// signed in (a 303 out of the flow); want fails the test when it is not the outcome.
func (g *rig) password(t *testing.T, c *apptest.Client, id, identifier, pw string, want bool) bool {
	t.Helper()
	csrf := apptest.CSRFToken(t, c.Do(http.MethodGet, g.s.PublicURL("/self-service/login/flows?id="+id), nil, http.Header{"Accept": {"application/json"}}))
	res := c.PostForm(g.s.PublicURL("/self-service/login?flow="+id), url.Values{
		"method": {"password"}, "identifier": {identifier}, "password": {pw}, "csrf_token": {csrf},
	})
	who, _ := g.whoami(t, c)
	ok := res.StatusCode == http.StatusSeeOther && !strings.Contains(res.Header.Get("Location"), "flow=") && who != ""
	if ok != want {
		t.Fatalf("password sign-in on %s: %d to %s, want signed in %v", id, res.StatusCode, res.Header.Get("Location"), want)
	}
	return ok
}

// linkFlow has the provider's current person come back to Portico through a flow of kind and
// returns the login flow they are sent to (the same one for a login), which must ask them to
// sign in to the existing account (1010016) with nobody signed in.
func (g *rig) linkFlow(t *testing.T, b *apptest.Client, kind string) string {
	t.Helper()
	loc := g.backTo(t, b, kind, "login")
	if ids := g.flowMessages(t, b, "login", loc); !slices.Equal(ids, []int{text.InfoLoginLink}) {
		t.Fatalf("%s: messages %v", kind, ids)
	}
	if id, _ := g.whoami(t, b); id != "" {
		t.Fatalf("%s: signed in before proving the existing account", kind)
	}
	return apptest.URL(t, loc).Query().Get("flow")
}

// TestSafeLink: a provider account whose verified address an existing identity holds is
// linked once that identity signs in on the same login flow with its password (a wrong
// password first changes nothing); from a registration the browser goes to a login flow, never
// back to registration (Kratos #3785/#4515). Afterwards the provider signs in to that identity.
func TestSafeLink(t *testing.T) {
	for _, kind := range []string{"login", "registration"} {
		t.Run(kind, func(t *testing.T) {
			g := start(t)
			victim := g.s.CreateIdentity(t, g.adaEmail, "ada's own password")
			b := g.s.Browser(t)
			id := g.linkFlow(t, b, kind)
			f := (&apptest.FlowClient{S: g.s, C: b, Kind: "login", As: "browser"}).Read(t, id)
			var names []string
			for _, n := range f.Body["ui"].(map[string]any)["nodes"].([]any) {
				a := n.(map[string]any)["attributes"].(map[string]any)
				names = append(names, a["name"].(string)+"="+a["type"].(string))
			}
			if !slices.Equal(names, []string{"csrf_token=hidden", "identifier=hidden", "password=password", "method=submit"}) {
				t.Fatalf("nodes of the linking flow: %v", names)
			}
			if got := g.accounts(t, victim.ID); len(got) != 0 {
				t.Fatalf("linked before the sign-in: %v", got)
			}
			g.password(t, b, id, g.adaEmail, "not ada's password", false)
			if got := g.accounts(t, victim.ID); len(got) != 0 {
				t.Fatalf("linked after a wrong password: %v", got)
			}
			g.password(t, b, id, g.adaEmail, "ada's own password", true)
			if who, _ := g.whoami(t, b); who != victim.ID.String() {
				t.Fatalf("signed in as %q", who)
			}
			if got := g.accounts(t, victim.ID); !slices.Equal(got, []string{"corp:" + g.ada}) {
				t.Fatalf("linked: %v", got)
			}
			b2 := g.s.Browser(t)
			if res := b2.Get(g.begin(t, b2, "login")); res.StatusCode != http.StatusSeeOther {
				t.Fatalf("provider sign-in: %d", res.StatusCode)
			}
			if who, _ := g.whoami(t, b2); who != victim.ID.String() {
				t.Fatalf("the provider signs in as %q", who)
			}
		})
	}
}

// TestSafeLinkNative: a native app's ID token for an account whose verified address an
// existing identity holds, submitted to an API login flow, turns it into one asking for that
// identity's password; submitted to an API registration flow, the reply is a new API login
// flow asking the same (never 4000027, never back to registration). The password on that
// login flow signs in and links.
func TestSafeLinkNative(t *testing.T) {
	for _, kind := range []string{"login", "registration"} {
		t.Run(kind, func(t *testing.T) {
			g := start(t)
			victim := g.s.CreateIdentity(t, g.adaEmail, "ada's own password")
			app := g.s.Native(t)
			f := app.Get(g.s.PublicURL("/self-service/" + kind + "/api")).Map(t)
			res := app.PostJSON(g.s.PublicURL("/self-service/"+kind+"?flow="+f["id"].(string)),
				map[string]any{"method": "oidc", "provider": "corp", "id_token": g.op.IDToken(t, "mobile-app", "n-1"), "id_token_nonce": "n-1"})
			m := res.Map(t)
			ui, _ := m["ui"].(map[string]any)
			msgs, _ := ui["messages"].([]any)
			if res.StatusCode != http.StatusBadRequest || len(msgs) != 1 || int(msgs[0].(map[string]any)["id"].(float64)) != text.InfoLoginLink {
				t.Fatalf("native: %d %s", res.StatusCode, res.Body)
			}
			action, _ := ui["action"].(string)
			if !strings.HasPrefix(action, g.s.PublicURL("/self-service/login?flow=")) || m["type"] != "api" {
				t.Fatalf("the reply is not an API login flow: %s", res.Body)
			}
			if got := g.accounts(t, victim.ID); len(got) != 0 {
				t.Fatalf("linked before the password: %v", got)
			}
			res = app.PostJSON(action, map[string]any{"method": "password", "identifier": g.adaEmail, "password": "ada's own password"})
			if res.StatusCode != http.StatusOK || res.Map(t)["session_token"] == nil {
				t.Fatalf("native password: %d %s", res.StatusCode, res.Body)
			}
			if got := g.accounts(t, victim.ID); !slices.Equal(got, []string{"corp:" + g.ada}) {
				t.Fatalf("linked: %v", got)
			}
		})
	}
}

// TestSafeLinkSocialIdentity (Kratos #3439): the existing identity was itself created by
// social sign-in; the linking flow offers its provider, and signing in with its own account
// there links the new one.
func TestSafeLinkSocialIdentity(t *testing.T) {
	g := start(t)
	_, owner := g.signUp(t) // ada's account at corp
	second := g.ada + "-second"
	g.op.AddUser(oidctest.User{ID: second, Email: g.adaEmail, EmailVerified: true})
	g.op.SignInAs(second)
	b := g.s.Browser(t)
	id := g.linkFlow(t, b, "login")
	f := (&apptest.FlowClient{S: g.s, C: b, Kind: "login", As: "browser"}).Read(t, id)
	if n := oidcNodes(f); len(n) != 1 || n[0].Name != "provider" || n[0].Value != "corp" {
		t.Fatalf("the linking flow's oidc nodes: %+v", n)
	}
	// The second account again is not the existing identity: nothing links, the flow waits.
	g.op.SignInAs(g.ada)
	res := b.PostForm(g.s.PublicURL("/self-service/login?flow="+id), url.Values{"method": {"oidc"}, "provider": {"corp"}, "csrf_token": {f.CSRF}})
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("submit: %d %s", res.StatusCode, res.Body)
	}
	back := b.Get(g.atProvider(t, b, res.Header.Get("Location")))
	if back.StatusCode != http.StatusSeeOther || strings.Contains(back.Header.Get("Location"), "flow=") {
		t.Fatalf("callback: %d to %s", back.StatusCode, back.Header.Get("Location"))
	}
	if who, _ := g.whoami(t, b); who != owner {
		t.Fatalf("signed in as %q, want %q", who, owner)
	}
	if got := g.accounts(t, mustUUID(owner)); !slices.Equal(got, sorted("corp:"+g.ada, "corp:"+second)) {
		t.Fatalf("linked: %v", got)
	}
	g.op.SignInAs(second)
	b2 := g.s.Browser(t)
	b2.Get(g.begin(t, b2, "login"))
	if who, _ := g.whoami(t, b2); who != owner {
		t.Fatalf("the second account signs in as %q", who)
	}
}

// TestSafeLinkAdversarial: the waiting account is bound to its flow, its browser and one use.
func TestSafeLinkAdversarial(t *testing.T) {
	// Signed in to the right identity, but not on the waiting flow in its browser: nothing is
	// linked (from another browser the flow itself refuses, even with the right password).
	for _, tc := range []struct {
		name string
		via  func(t *testing.T, g *rig, b *apptest.Client, id string) (*apptest.Client, string, bool)
	}{
		{"another flow of the same browser", func(t *testing.T, g *rig, b *apptest.Client, _ string) (*apptest.Client, string, bool) {
			other, _ := g.s.BrowserFlow(t, b, "login")
			return b, other, true
		}},
		{"the same flow from another browser", func(t *testing.T, g *rig, _ *apptest.Client, id string) (*apptest.Client, string, bool) {
			other := g.s.Browser(t)
			g.s.BrowserFlow(t, other, "login") // its own CSRF cookie and token
			return other, id, false
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			g := start(t)
			victim := g.s.CreateIdentity(t, g.adaEmail, "ada's own password")
			b := g.s.Browser(t)
			c, id, signsIn := tc.via(t, g, b, g.linkFlow(t, b, "login"))
			g.password(t, c, id, g.adaEmail, "ada's own password", signsIn)
			if got := g.accounts(t, victim.ID); len(got) != 0 {
				t.Fatalf("linked: %v", got)
			}
		})
	}
	t.Run("replayed after use", func(t *testing.T) {
		g := start(t)
		victim := g.s.CreateIdentity(t, g.adaEmail, "ada's own password")
		b := g.s.Browser(t)
		id := g.linkFlow(t, b, "login")
		g.password(t, b, id, g.adaEmail, "ada's own password", true)
		csrf := apptest.CSRFToken(t, b.Do(http.MethodGet, g.s.PublicURL("/self-service/login/flows?id="+id), nil, http.Header{"Accept": {"application/json"}}))
		// The owner unlinks the account in settings and signs out everywhere; the used flow
		// cannot bring the account back.
		fc := &apptest.FlowClient{S: g.s, C: b, Kind: "settings", As: "browser"}
		if res := fc.Submit(t, fc.Start(t), map[string]string{"unlink": "corp"}); res.State != "success" || len(g.accounts(t, victim.ID)) != 0 {
			t.Fatalf("unlink: %s %v", res.State, res.MessageIDs())
		}
		if r := g.s.Native(t).Do(http.MethodDelete, g.s.AdminURL("/admin/identities/"+victim.ID.String()+"/sessions"), nil, nil); r.StatusCode != http.StatusNoContent {
			t.Fatalf("revoke sessions: %d %s", r.StatusCode, r.Body)
		}
		b.PostForm(g.s.PublicURL("/self-service/login?flow="+id), url.Values{
			"method": {"password"}, "identifier": {g.adaEmail}, "password": {"ada's own password"}, "csrf_token": {csrf},
		})
		if got := g.accounts(t, victim.ID); len(got) != 0 {
			t.Fatalf("the used link was applied again: %v", got)
		}
	})
	t.Run("100 concurrent completions link once", func(t *testing.T) { concurrentCompletions(t, start(t)) })
}

func sorted(v ...string) []string { slices.Sort(v); return v }

func mustUUID(s string) uuid.UUID { return uuid.MustParse(s) }

// concurrentCompletions: 100 concurrent password sign-ins on one flow waiting to link an
// account link it once (none answers 500).
func concurrentCompletions(t *testing.T, g *rig) {
	victim := g.s.CreateIdentity(t, g.adaEmail, "ada's own password")
	b := g.s.Browser(t)
	id := g.linkFlow(t, b, "login")
	csrf := apptest.CSRFToken(t, b.Do(http.MethodGet, g.s.PublicURL("/self-service/login/flows?id="+id), nil, http.Header{"Accept": {"application/json"}}))
	var wg sync.WaitGroup
	var mu sync.Mutex
	statuses := map[int]int{}
	for range 100 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			res := b.PostForm(g.s.PublicURL("/self-service/login?flow="+id), url.Values{
				"method": {"password"}, "identifier": {g.adaEmail}, "password": {"ada's own password"}, "csrf_token": {csrf},
			})
			mu.Lock()
			statuses[res.StatusCode]++
			mu.Unlock()
		}()
	}
	wg.Wait()
	if statuses[http.StatusInternalServerError] > 0 || statuses[http.StatusSeeOther] == 0 {
		t.Fatalf("statuses %v", statuses)
	}
	if got := g.accounts(t, victim.ID); !slices.Equal(got, []string{"corp:" + g.ada}) {
		t.Fatalf("linked: %v", got)
	}
	ident, err := g.s.App.Store.GetIdentity(t.Context(), victim.ID, true)
	if err != nil {
		t.Fatal(err)
	}
	if cr := ident.Credentials["oidc"]; len(cr.Identifiers) != 1 {
		t.Fatalf("identifiers %v", cr.Identifiers)
	}
}

// TestSafeLinkBackends runs the safe link's race on PostgreSQL and MySQL/MariaDB (each in a
// throw-away database) when their DSN variables are set.
func TestSafeLinkBackends(t *testing.T) {
	for _, b := range []struct{ name, env string }{{"postgres", testdb.PostgresEnv}, {"mysql", testdb.MySQLEnv}} {
		t.Run(b.name, func(t *testing.T) {
			base := testdb.ServerDSN(t, b.env)
			dsn := testdb.PostgresSchema
			if b.name == "mysql" {
				dsn = testdb.MySQLDatabase
			}
			concurrentCompletions(t, start(t, apptest.WithDSN(dsn(t, base))))
		})
	}
}

// TestSafeLinkBrowserBinding: the pending link's own binding to the browser that brought the
// account is checked, not only the flow's CSRF check. The waiting link is re-bound to another
// browser (as if that browser had brought the account to this flow); the flow's own browser
// then passes the flow's CSRF check and signs in with the right password, yet nothing is
// linked. Unchanged, the same sign-in links it (TestSafeLink).
func TestSafeLinkBrowserBinding(t *testing.T) {
	g := start(t)
	victim := g.s.CreateIdentity(t, g.adaEmail, "ada's own password")
	b := g.s.Browser(t)
	id := g.linkFlow(t, b, "login")

	other := g.s.Browser(t)
	g.s.BrowserFlow(t, other, "login") // gives the other browser its own CSRF cookie
	req := httptest.NewRequest(http.MethodGet, g.s.PublicURL("/"), nil)
	for _, c := range other.HTTP.Jar.Cookies(apptest.URL(t, g.s.PublicURL("/"))) {
		req.AddCookie(c)
	}
	bound, ok := g.s.App.CSRF.Bind(req, oidc.LinkKind+"\x00"+id)
	if !ok {
		t.Fatal("the other browser has no CSRF cookie")
	}
	ctx := t.Context()
	rec, err := g.s.App.Store.GetFlow(ctx, oidc.LinkKind, oidc.LinkRecordID(mustUUID(id)))
	if err != nil {
		t.Fatalf("no link waits on the flow: %v", err)
	}
	var data map[string]any
	if err := json.Unmarshal(rec.Data, &data); err != nil {
		t.Fatal(err)
	}
	data["browser"] = bound
	raw, err := json.Marshal(data)
	if err != nil {
		t.Fatal(err)
	}
	rec.Data = raw
	if err := g.s.App.Store.DeleteFlow(ctx, oidc.LinkKind, rec.ID); err != nil {
		t.Fatal(err)
	}
	if err := g.s.App.Store.CreateFlow(ctx, rec); err != nil {
		t.Fatal(err)
	}

	g.password(t, b, id, g.adaEmail, "ada's own password", true)
	if got := g.accounts(t, victim.ID); len(got) != 0 {
		t.Fatalf("linked through a link bound to another browser: %v", got)
	}
}

// TestSafeLinkByCode: the existing identity proves itself with a one-time code sent to its
// address (code sign-in), in two submissions of the waiting flow, and the account is linked.
func TestSafeLinkByCode(t *testing.T) {
	g := start(t, apptest.WithEnv("SELFSERVICE_METHODS_CODE_PASSWORDLESS_ENABLED", "true"))
	mail := g.s.StartMail(t)
	victim := g.s.CreateIdentity(t, g.adaEmail, "ada's own password")
	b := g.s.Browser(t)
	id := g.linkFlow(t, b, "login")
	fc := &apptest.FlowClient{S: g.s, C: b, Kind: "login", As: "browser"}
	f := fc.Submit(t, fc.Read(t, id), map[string]string{"method": "code", "identifier": g.adaEmail})
	if f.State != "sent_email" {
		t.Fatalf("code not sent: %d %s", f.Status, f.Raw.Body)
	}
	if got := g.accounts(t, victim.ID); len(got) != 0 {
		t.Fatalf("linked before the code was entered: %v", got)
	}
	fc.Submit(t, f, map[string]string{"method": "code", "identifier": g.adaEmail, "code": mail.Code(t, g.adaEmail)})
	if who, _ := g.whoami(t, b); who != victim.ID.String() {
		t.Fatalf("signed in as %q, want %s", who, victim.ID)
	}
	if got := g.accounts(t, victim.ID); !slices.Equal(got, []string{"corp:" + g.ada}) {
		t.Fatalf("linked: %v", got)
	}
}

// TestSafeLinkByPasskey: the existing identity proves itself with its passkey on the waiting
// flow, and the account is linked.
func TestSafeLinkByPasskey(t *testing.T) {
	var opts []apptest.Option
	for _, m := range []string{"WEBAUTHN", "PASSKEY"} {
		opts = append(opts,
			apptest.WithEnv("SELFSERVICE_METHODS_"+m+"_ENABLED", "true"),
			apptest.WithEnv("SELFSERVICE_METHODS_"+m+"_CONFIG_RP_ID", mfatest.RPID),
			apptest.WithEnv("SELFSERVICE_METHODS_"+m+"_CONFIG_RP_DISPLAY_NAME", "Portico Test"),
			apptest.WithEnv("SELFSERVICE_METHODS_"+m+"_CONFIG_RP_ORIGINS", mfatest.Origin))
	}
	g := start(t, opts...)
	victim := g.s.CreateIdentity(t, g.adaEmail, "ada's own password")
	// The owner enrols a passkey in settings.
	owner := mfatest.SignIn(t, g.s, "browser", victim)
	a := &webauthntest.Authenticator{Origin: mfatest.Origin, UV: true}
	_, sf := owner.Start("settings", "")
	created, _, err := a.Create(mfatest.Str(mfatest.Node(sf, "passkey", "passkey_register_trigger"), "attributes", "value"), "")
	if err != nil {
		t.Fatal(err)
	}
	if _, done := owner.Submit("settings", sf, map[string]any{"method": "passkey", "passkey_settings_register": string(created)}); mfatest.Str(done, "state") != "success" {
		t.Fatalf("enrol the passkey: %v", mfatest.MessageTexts(done))
	}

	b := g.s.Browser(t)
	id := g.linkFlow(t, b, "login")
	p := &mfatest.Party{T: t, Kind: "browser", S: g.s, C: b}
	lf := p.Flow("login", id)
	trig := mfatest.Node(lf, "passkey", "passkey_login_trigger")
	if trig == nil {
		t.Fatalf("the waiting flow offers no passkey: %s", mfatest.Names(lf))
	}
	got, err := a.Get(mfatest.Str(trig, "attributes", "value"), "")
	if err != nil {
		t.Fatal(err)
	}
	if res, _ := p.Submit("login", lf, map[string]any{"method": "passkey", "passkey_login": string(got)}); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("passkey sign-in: %d %s", res.StatusCode, res.Body)
	}
	if who, _ := g.whoami(t, b); who != victim.ID.String() {
		t.Fatalf("signed in as %q, want %s", who, victim.ID)
	}
	if got := g.accounts(t, victim.ID); !slices.Equal(got, []string{"corp:" + g.ada}) {
		t.Fatalf("linked: %v", got)
	}
}
