package server_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"reflect"
	"sort"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/portico-auth/portico/internal/apptest"
	"github.com/portico-auth/portico/internal/identity"
	"github.com/portico-auth/portico/internal/session"
)

// The three callers every public route is tried with: no session, an aal1 session of an
// identity that could reach aal2 (it has TOTP), and an aal2 session of the same identity.
const (
	noSession = iota
	aal1Session
	aal2Session
)

var stateNames = [3]string{"no session", "aal1 of an aal2 identity", "aal2"}

// How a request carries the session: an app's token, or a browser's cookie asking for JSON
// (AJAX) or HTML.
type carrier int

const (
	viaToken carrier = iota
	viaAJAX
	viaBrowser
)

// The rule a route follows, said once per route so the table reads as the policy:
//   - needsAAL: a session meeting the configured AAL (session.Manager.Authorize with
//     session.whoami.required_aal or the settings flow's required_aal);
//   - anySession: any active session, whatever its level (signing out must always work);
//   - adapts: anonymous route that behaves differently for a signed-in caller (login,
//     registration), never revealing or changing anything of the session's identity;
//   - public: does not look at sessions.
const (
	needsAAL   = "session at the configured AAL"
	anySession = "any active session"
	adapts     = "anonymous, adapts to a session"
	public     = "public"
)

// routeCase is one request to a public route, tried as each of the three callers.
type routeCase struct {
	pattern string // the mux pattern the request reaches
	name    string
	rule    string
	via     carrier
	want    [3]int    // status per caller
	loc     [3]string // for redirects: a prefix the Location must have ("" = not checked)
	// req returns the method, path (with query) and body for the caller whose session token
	// is tok ("" for none).
	req func(t *testing.T, fx *routeFixture, tok string) (method, target string, body any)
}

func get(path string) func(*testing.T, *routeFixture, string) (string, string, any) {
	return func(*testing.T, *routeFixture, string) (string, string, any) { return http.MethodGet, path, nil }
}

// routeFixture is a server (TOTP on, as Kratos's quickstart has it) with one identity that
// holds a password and TOTP.
type routeFixture struct {
	s     *apptest.Server
	ident *identity.Identity
	email string
}

func newRouteFixture(t *testing.T) *routeFixture {
	t.Helper()
	s := apptest.Start(t, append(withOIDC(), apptest.WithEnv("SELFSERVICE_METHODS_TOTP_ENABLED", "true"),
		apptest.WithEnv("SELFSERVICE_FLOWS_VERIFICATION_ENABLED", "true"), apptest.WithEnv("SELFSERVICE_FLOWS_RECOVERY_ENABLED", "true"))...)
	// A new address each time: the database may be a shared PostgreSQL or MariaDB one.
	email := "routes-" + uuid.NewString() + "@example.com"
	ident := s.CreateIdentity(t, email, "a-long-enough-password")
	ctx := context.Background()
	id, err := s.App.Store.GetIdentity(ctx, ident.ID, true)
	if err != nil {
		t.Fatal(err)
	}
	id.Credentials[identity.CredentialsTOTP] = identity.Credentials{
		Type: identity.CredentialsTOTP, Identifiers: []string{id.ID.String()},
		Config: json.RawMessage(`{"totp_url":"otpauth://totp/Portico:routes?secret=JBSWY3DPEHPK3PXP&issuer=Portico"}`),
	}
	if err := s.App.Identities.Update(ctx, id); err != nil {
		t.Fatal(err)
	}
	return &routeFixture{s: s, ident: id, email: email}
}

// token is a fresh session token for caller st ("" for none): every request gets its own
// session, so that routes which end sessions do not disturb the next case.
func (fx *routeFixture) token(t *testing.T, st int) string {
	switch st {
	case aal1Session:
		return fx.s.IssueSession(t, fx.ident, session.AAL1)
	case aal2Session:
		return fx.s.IssueSession(t, fx.ident, session.AAL2)
	}
	return ""
}

// flowID creates a flow with an aal2 session (so that any caller may be asked about it) and
// returns its id: kind "settings" (api), "login" or "registration" (anonymous api flows).
func (fx *routeFixture) flowID(t *testing.T, kind string) string {
	t.Helper()
	c := fx.s.Native(t)
	if kind == "settings" {
		c.Header.Set("X-Session-Token", fx.token(t, aal2Session))
	}
	r := c.Get(fx.s.PublicURL("/self-service/" + kind + "/api"))
	var f struct{ ID string }
	r.JSON(t, &f)
	if r.StatusCode != http.StatusOK || f.ID == "" {
		t.Fatalf("create %s flow: %d %s", kind, r.StatusCode, r.Body)
	}
	return f.ID
}

// sessionID is the id of a fresh aal2 session of the identity (for DELETE /sessions/{id}).
func (fx *routeFixture) sessionID(t *testing.T) string {
	t.Helper()
	s, err := fx.s.App.Sessions.FromToken(context.Background(), fx.token(t, aal2Session))
	if err != nil {
		t.Fatal(err)
	}
	return s.ID.String()
}

// logoutToken is the logout token of the session tok.
func (fx *routeFixture) logoutToken(t *testing.T, tok string) string {
	t.Helper()
	c := fx.s.Native(t)
	c.Header.Set("X-Session-Token", tok)
	r := c.Get(fx.s.PublicURL("/self-service/logout/browser"))
	var out struct {
		Token string `json:"logout_token"`
	}
	r.JSON(t, &out)
	return out.Token
}

// routeCases is the authorisation table: every public route (TestEveryPublicRouteIsInTheTable
// fails for a route without a row) with what each caller gets.
func routeCases() []routeCase {
	aal2Login := "/self-service/login/browser?aal=aal2"
	return []routeCase{
		// The caller's own sessions: whoami's rule.
		{pattern: "GET /sessions/whoami", rule: needsAAL, via: viaToken, want: [3]int{401, 403, 200}, req: get("/sessions/whoami")},
		{pattern: "GET /sessions/whoami", name: "cookie", rule: needsAAL, via: viaAJAX, want: [3]int{401, 403, 200}, req: get("/sessions/whoami")},
		{pattern: "GET /sessions", rule: needsAAL, via: viaToken, want: [3]int{401, 403, 200}, req: get("/sessions")},
		{pattern: "DELETE /sessions", rule: needsAAL, via: viaToken, want: [3]int{401, 403, 200},
			req: func(*testing.T, *routeFixture, string) (string, string, any) {
				return http.MethodDelete, "/sessions", nil
			}},
		{pattern: "DELETE /sessions/{id}", rule: needsAAL, via: viaToken, want: [3]int{401, 403, 204},
			req: func(t *testing.T, fx *routeFixture, _ string) (string, string, any) {
				return http.MethodDelete, "/sessions/" + fx.sessionID(t), nil
			}},

		// Settings: the settings flow's required_aal (highest_available by default).
		{pattern: "GET /self-service/settings/api", rule: needsAAL, via: viaToken, want: [3]int{401, 403, 200}, req: get("/self-service/settings/api")},
		{pattern: "GET /self-service/settings/browser", rule: needsAAL, via: viaAJAX, want: [3]int{401, 403, 200}, req: get("/self-service/settings/browser")},
		{pattern: "GET /self-service/settings/browser", name: "html", rule: needsAAL, via: viaBrowser, want: [3]int{303, 303, 303},
			loc: [3]string{"/self-service/login/browser", aal2Login, "/ui/settings?flow="}, req: get("/self-service/settings/browser")},
		{pattern: "GET /self-service/settings/flows", rule: needsAAL, via: viaToken, want: [3]int{401, 403, 200},
			req: func(t *testing.T, fx *routeFixture, _ string) (string, string, any) {
				return http.MethodGet, "/self-service/settings/flows?id=" + fx.flowID(t, "settings"), nil
			}},
		{pattern: "POST /self-service/settings", rule: needsAAL, via: viaToken, want: [3]int{401, 403, 200},
			req: func(t *testing.T, fx *routeFixture, _ string) (string, string, any) {
				return http.MethodPost, "/self-service/settings?flow=" + fx.flowID(t, "settings"),
					map[string]any{"method": "profile", "traits": map[string]any{"email": fx.email, "name": map[string]any{"first": "R"}}}
			}},
		{pattern: "GET /self-service/settings", name: "resume", rule: needsAAL, via: viaToken, want: [3]int{401, 403, 200},
			req: func(t *testing.T, fx *routeFixture, _ string) (string, string, any) {
				return http.MethodGet, "/self-service/settings?flow=" + fx.flowID(t, "settings"), nil
			}},
		{pattern: "GET /.well-known/change-password", rule: public, via: viaBrowser, want: [3]int{303, 303, 303}, req: get("/.well-known/change-password")},

		// Signing out works at any level.
		{pattern: "GET /self-service/logout/browser", rule: anySession, via: viaAJAX, want: [3]int{401, 200, 200}, req: get("/self-service/logout/browser")},
		{pattern: "GET /self-service/logout", rule: anySession, via: viaAJAX, want: [3]int{401, 204, 204},
			req: func(t *testing.T, fx *routeFixture, tok string) (string, string, any) {
				lt := "not-a-logout-token"
				if tok != "" {
					lt = fx.logoutToken(t, tok)
				}
				return http.MethodGet, "/self-service/logout?token=" + url.QueryEscape(lt), nil
			}},
		{pattern: "DELETE /self-service/logout/api", rule: anySession, via: viaToken, want: [3]int{400, 204, 204},
			req: func(_ *testing.T, _ *routeFixture, tok string) (string, string, any) {
				return http.MethodDelete, "/self-service/logout/api", map[string]string{"session_token": tok}
			}},

		// Login: stepping up to aal2 must be reachable at aal1.
		{pattern: "GET /self-service/login/api", rule: adapts, via: viaToken, want: [3]int{200, 400, 400}, req: get("/self-service/login/api")},
		{pattern: "GET /self-service/login/api", name: "aal2", rule: adapts, via: viaToken, want: [3]int{401, 200, 400}, req: get("/self-service/login/api?aal=aal2")},
		{pattern: "GET /self-service/login/api", name: "refresh", rule: adapts, via: viaToken, want: [3]int{200, 200, 200}, req: get("/self-service/login/api?refresh=true")},
		{pattern: "GET /self-service/login/browser", rule: adapts, via: viaBrowser, want: [3]int{303, 303, 303},
			loc: [3]string{"/ui/login?flow=", "", ""}, req: get("/self-service/login/browser")},
		{pattern: "GET /self-service/login/browser", name: "aal2", rule: adapts, via: viaAJAX, want: [3]int{401, 200, 400}, req: get("/self-service/login/browser?aal=aal2")},
		{pattern: "GET /self-service/login/flows", rule: adapts, via: viaToken, want: [3]int{200, 200, 200},
			req: func(t *testing.T, fx *routeFixture, _ string) (string, string, any) {
				return http.MethodGet, "/self-service/login/flows?id=" + fx.flowID(t, "login"), nil
			}},
		{pattern: "POST /self-service/login", rule: adapts, via: viaToken, want: [3]int{400, 400, 400},
			req: func(t *testing.T, fx *routeFixture, _ string) (string, string, any) {
				return http.MethodPost, "/self-service/login?flow=" + fx.flowID(t, "login"),
					map[string]any{"method": "password", "identifier": fx.email, "password": "wrong-password-here"}
			}},

		// Registration: a signed-in caller is told so.
		{pattern: "GET /self-service/registration/api", rule: adapts, via: viaToken, want: [3]int{200, 400, 400}, req: get("/self-service/registration/api")},
		{pattern: "GET /self-service/registration/browser", rule: adapts, via: viaBrowser, want: [3]int{303, 303, 303},
			loc: [3]string{"/ui/registration?flow=", "", ""}, req: get("/self-service/registration/browser")},
		{pattern: "GET /self-service/registration/flows", rule: adapts, via: viaToken, want: [3]int{200, 200, 200},
			req: func(t *testing.T, fx *routeFixture, _ string) (string, string, any) {
				return http.MethodGet, "/self-service/registration/flows?id=" + fx.flowID(t, "registration"), nil
			}},
		{pattern: "POST /self-service/registration", rule: adapts, via: viaToken, want: [3]int{400, 400, 400},
			req: func(t *testing.T, fx *routeFixture, _ string) (string, string, any) {
				return http.MethodPost, "/self-service/registration?flow=" + fx.flowID(t, "registration"),
					map[string]any{"method": "password", "password": "x", "traits": map[string]any{"email": fx.email}}
			}},

		// Verification: anyone may verify an address, signed in or not.
		{pattern: "GET /self-service/verification/api", rule: public, via: viaToken, want: [3]int{200, 200, 200}, req: get("/self-service/verification/api")},
		{pattern: "GET /self-service/verification/browser", rule: public, via: viaBrowser, want: [3]int{303, 303, 303},
			loc: [3]string{"/ui/verification?flow=", "/ui/verification?flow=", "/ui/verification?flow="}, req: get("/self-service/verification/browser")},
		{pattern: "GET /self-service/verification/flows", rule: public, via: viaToken, want: [3]int{200, 200, 200},
			req: func(t *testing.T, fx *routeFixture, _ string) (string, string, any) {
				return http.MethodGet, "/self-service/verification/flows?id=" + fx.flowID(t, "verification"), nil
			}},
		{pattern: "POST /self-service/verification", rule: public, via: viaToken, want: [3]int{200, 200, 200},
			req: func(t *testing.T, fx *routeFixture, _ string) (string, string, any) {
				return http.MethodPost, "/self-service/verification?flow=" + fx.flowID(t, "verification"), map[string]any{"method": "code", "email": fx.email}
			}},
		{pattern: "GET /self-service/verification", name: "link", rule: public, via: viaToken, want: [3]int{400, 400, 400},
			req: func(t *testing.T, fx *routeFixture, _ string) (string, string, any) {
				return http.MethodGet, "/self-service/verification?flow=" + fx.flowID(t, "verification") + "&token=forged", nil
			}},

		// Recovery: only without a session (someone signed in changes the password in settings).
		{pattern: "GET /self-service/recovery/api", rule: adapts, via: viaToken, want: [3]int{200, 400, 400}, req: get("/self-service/recovery/api")},
		{pattern: "GET /self-service/recovery/browser", rule: adapts, via: viaBrowser, want: [3]int{303, 303, 303},
			loc: [3]string{"/ui/recovery?flow=", "/ui/welcome", "/ui/welcome"}, req: get("/self-service/recovery/browser")},
		{pattern: "GET /self-service/recovery/flows", rule: public, via: viaToken, want: [3]int{200, 200, 200},
			req: func(t *testing.T, fx *routeFixture, _ string) (string, string, any) {
				return http.MethodGet, "/self-service/recovery/flows?id=" + fx.flowID(t, "recovery"), nil
			}},
		{pattern: "POST /self-service/recovery", rule: adapts, via: viaToken, want: [3]int{200, 400, 400},
			req: func(t *testing.T, fx *routeFixture, _ string) (string, string, any) {
				return http.MethodPost, "/self-service/recovery?flow=" + fx.flowID(t, "recovery"), map[string]any{"method": "code", "email": fx.email}
			}},
		{pattern: "GET /self-service/recovery", name: "link", rule: public, via: viaToken, want: [3]int{400, 400, 400},
			req: func(t *testing.T, fx *routeFixture, _ string) (string, string, any) {
				return http.MethodGet, "/self-service/recovery?flow=" + fx.flowID(t, "recovery") + "&token=forged", nil
			}},

		// The oidc callback: a state no browser holds is an error page, whoever calls; Apple's
		// form post is sent on to the GET callback.
		{pattern: "GET /self-service/methods/oidc/callback/{provider}", rule: public, via: viaBrowser, want: [3]int{303, 303, 303},
			loc: [3]string{"/ui/error?id=", "/ui/error?id=", "/ui/error?id="}, req: get("/self-service/methods/oidc/callback/corp?state=forged&code=x")},
		{pattern: "POST /self-service/methods/oidc/callback/{provider}", rule: public, via: viaBrowser, want: [3]int{303, 303, 303},
			loc: [3]string{"/self-service/methods/oidc/callback/corp?", "/self-service/methods/oidc/callback/corp?", "/self-service/methods/oidc/callback/corp?"},
			req: func(*testing.T, *routeFixture, string) (string, string, any) {
				return http.MethodPost, "/self-service/methods/oidc/callback/corp", map[string]any{"state": "forged", "code": "x"}
			}},

		// The built-in UI reads the API with the browser's cookies, so it inherits the rules.
		{pattern: "GET /ui/welcome", rule: needsAAL, via: viaBrowser, want: [3]int{303, 303, 200},
			loc: [3]string{"/ui/login", aal2Login, ""}, req: get("/ui/welcome")},
		{pattern: "POST /ui/welcome/sessions/revoke", rule: needsAAL, via: viaBrowser, want: [3]int{303, 303, 303},
			loc: [3]string{"/ui/login", aal2Login, "/ui/welcome?revoked=1"}},
		{pattern: "GET /ui/settings", rule: needsAAL, via: viaBrowser, want: [3]int{303, 303, 303},
			loc: [3]string{"/self-service/settings/browser", "/self-service/settings/browser", "/self-service/settings/browser"}, req: get("/ui/settings")},
		{pattern: "GET /ui/login", rule: adapts, via: viaBrowser, want: [3]int{303, 303, 303}, req: get("/ui/login")},
		{pattern: "GET /ui/registration", rule: adapts, via: viaBrowser, want: [3]int{303, 303, 303}, req: get("/ui/registration")},
		{pattern: "GET /ui/verification", rule: public, via: viaBrowser, want: [3]int{303, 303, 303},
			loc: [3]string{"/self-service/verification/browser", "/self-service/verification/browser", "/self-service/verification/browser"}, req: get("/ui/verification")},
		{pattern: "GET /ui/recovery", rule: adapts, via: viaBrowser, want: [3]int{303, 303, 303},
			loc: [3]string{"/self-service/recovery/browser", "/self-service/recovery/browser", "/self-service/recovery/browser"}, req: get("/ui/recovery")},
		{pattern: "GET /ui/error", rule: public, via: viaBrowser, want: [3]int{404, 404, 404}, req: get("/ui/error?id=00000000-0000-4000-8000-000000000000")},
		{pattern: "GET /ui/{$}", rule: public, via: viaBrowser, want: [3]int{303, 303, 303}, loc: [3]string{"/ui/welcome", "/ui/welcome", "/ui/welcome"}, req: get("/ui/")},
		{pattern: "GET /ui/static/", rule: public, via: viaBrowser, want: [3]int{404, 404, 404}, req: get("/ui/static/no-such-file")},

		// Anonymous reads.
		{pattern: "GET /self-service/errors", rule: public, via: viaAJAX, want: [3]int{404, 404, 404}, req: get("/self-service/errors?id=00000000-0000-4000-8000-000000000000")},
		{pattern: "GET /schemas", rule: public, via: viaAJAX, want: [3]int{200, 200, 200}, req: get("/schemas")},
		{pattern: "GET /schemas/{id}", rule: public, via: viaAJAX, want: [3]int{200, 200, 200}, req: get("/schemas/default")},
		{pattern: "GET /.well-known/ory/webauthn.js", rule: public, via: viaBrowser, want: [3]int{200, 200, 200}, req: get("/.well-known/ory/webauthn.js")},
		{pattern: "GET /health/alive", rule: public, via: viaAJAX, want: [3]int{200, 200, 200}, req: get("/health/alive")},
		{pattern: "GET /health/ready", rule: public, via: viaAJAX, want: [3]int{200, 200, 200}, req: get("/health/ready")},
		{pattern: "GET /version", rule: public, via: viaAJAX, want: [3]int{200, 200, 200}, req: get("/version")},
		{pattern: "/", rule: public, via: viaAJAX, want: [3]int{404, 404, 404}, req: get("/no/such/route")},
	}
}

// muxPatterns lists the patterns registered on mux. net/http offers no way to list them, so
// this reads the mux's index of patterns (every pattern is in it: multi-segment ones under
// multis, the others under segments) by reflection, read-only; if Go reshapes its ServeMux
// the test fails here rather than passing with an empty list.
func muxPatterns(t *testing.T, mux *http.ServeMux) []string {
	t.Helper()
	idx := reflect.ValueOf(mux).Elem().FieldByName("index")
	segs, multis := idx.FieldByName("segments"), idx.FieldByName("multis")
	if !idx.IsValid() || segs.Kind() != reflect.Map || multis.Kind() != reflect.Slice {
		t.Fatal("cannot enumerate the ServeMux's patterns: net/http's ServeMux changed; update muxPatterns")
	}
	seen := map[string]bool{}
	add := func(p reflect.Value) {
		str := p.Elem().FieldByName("str")
		if str.Kind() != reflect.String {
			t.Fatal("cannot read a pattern's string: net/http changed; update muxPatterns")
		}
		seen[str.String()] = true
	}
	for it := segs.MapRange(); it.Next(); {
		for i := 0; i < it.Value().Len(); i++ {
			add(it.Value().Index(i))
		}
	}
	for i := 0; i < multis.Len(); i++ {
		add(multis.Index(i))
	}
	out := make([]string, 0, len(seen))
	for p := range seen {
		out = append(out, p)
	}
	sort.Strings(out)
	if len(out) < 10 {
		t.Fatalf("only %d patterns found: %v", len(out), out)
	}
	return out
}

// tableGaps lists the routes registered on mux without a row in routeCases, and the rows
// for routes that are not registered.
func tableGaps(t *testing.T, mux *http.ServeMux) (missing, stale []string) {
	covered := map[string]bool{}
	for _, c := range routeCases() {
		covered[c.pattern] = true
	}
	registered := map[string]bool{}
	for _, p := range muxPatterns(t, mux) {
		registered[p] = true
		if !covered[p] {
			missing = append(missing, p)
		}
	}
	for p := range covered {
		if !registered[p] {
			stale = append(stale, p)
		}
	}
	return missing, stale
}

// TestEveryPublicRouteIsInTheTable: a route added to the public listener without a row in
// routeCases fails here, so no route can skip deciding (and testing) its authorisation.
func TestEveryPublicRouteIsInTheTable(t *testing.T) {
	fx := newRouteFixture(t)
	missing, stale := tableGaps(t, fx.s.App.PublicMux)
	for _, p := range missing {
		t.Errorf("public route %q has no row in routeCases: decide its rule and add one", p)
	}
	for _, p := range stale {
		t.Errorf("routeCases has a row for %q, which is not registered", p)
	}
	// The check itself: a route registered behind the table's back is reported.
	fx.s.App.PublicMux.HandleFunc("GET /self-service/new/{thing}", func(http.ResponseWriter, *http.Request) {})
	if missing, _ := tableGaps(t, fx.s.App.PublicMux); len(missing) != 1 || missing[0] != "GET /self-service/new/{thing}" {
		t.Fatalf("a new route was not noticed: %v", missing)
	}
}

// TestPublicRouteAuthorisation sends every row of the table as each of the three callers and
// checks the status (and where redirects lead). It is issue 11 finding 6: a session that
// whoami refuses must not list, revoke or change anything either.
func TestPublicRouteAuthorisation(t *testing.T) {
	fx := newRouteFixture(t)
	for _, c := range routeCases() {
		if c.rule == needsAAL && c.via != viaBrowser && (c.want[noSession] != 401 || c.want[aal1Session] != 403) {
			t.Errorf("%s %s: a route that needs the AAL must answer 401 and 403, the table says %v", c.pattern, c.name, c.want)
		}
		for st := noSession; st <= aal2Session; st++ {
			name := strings.TrimSpace(c.pattern + " " + c.name + " / " + stateNames[st])
			t.Run(name, func(t *testing.T) {
				res := fx.send(t, c, st)
				if res.StatusCode != c.want[st] {
					t.Fatalf("status %d, want %d (%s): %.300s", res.StatusCode, c.want[st], c.rule, res.Body)
				}
				if want := c.loc[st]; want != "" {
					loc := res.Header.Get("Location")
					if !strings.HasPrefix(loc, want) && !strings.HasPrefix(loc, fx.s.PublicURL(want)) {
						t.Fatalf("Location %q, want a prefix %q", loc, want)
					}
				}
				if c.rule == needsAAL && st == aal1Session && c.via != viaBrowser {
					var e struct {
						Error struct {
							ID string `json:"id"`
						} `json:"error"`
					}
					res.JSON(t, &e)
					if e.Error.ID != "session_aal2_required" {
						t.Fatalf("error id %q, want session_aal2_required", e.Error.ID)
					}
				}
			})
		}
	}
}

// send performs case c as caller st.
func (fx *routeFixture) send(t *testing.T, c routeCase, st int) *apptest.Response {
	t.Helper()
	var cl *apptest.Client
	switch c.via {
	case viaToken:
		cl = fx.s.Native(t)
	case viaAJAX:
		cl = fx.s.SPA(t)
	default:
		cl = fx.s.Browser(t)
	}
	if c.pattern == "POST /ui/welcome/sessions/revoke" {
		return fx.revokeOthers(t, cl, st)
	}
	tok := fx.token(t, st)
	method, target, body := c.req(t, fx, tok)
	// performNativeLogout names the session in its body; the request itself carries none.
	if tok != "" && c.pattern != "DELETE /self-service/logout/api" {
		if c.via == viaToken {
			cl.Header.Set("X-Session-Token", tok)
		} else {
			cl.SetSessionCookie(fx.s, tok)
		}
	}
	if body == nil {
		return cl.Do(method, fx.s.PublicURL(target), nil, nil)
	}
	raw, err := json.Marshal(body)
	if err != nil {
		t.Fatal(err)
	}
	return cl.Do(method, fx.s.PublicURL(target), strings.NewReader(string(raw)), http.Header{"Content-Type": {"application/json"}})
}

// revokeOthers posts the welcome page's "sign out other sessions" form as a browser holding
// a CSRF token (taken from a login flow before it signs in) and the caller's session.
func (fx *routeFixture) revokeOthers(t *testing.T, b *apptest.Client, st int) *apptest.Response {
	t.Helper()
	_, csrf := fx.s.BrowserFlow(t, b, "login")
	if tok := fx.token(t, st); tok != "" {
		b.SetSessionCookie(fx.s, tok)
	}
	return b.PostForm(fx.s.PublicURL("/ui/welcome/sessions/revoke"), url.Values{"csrf_token": {csrf}})
}
