package kratosexamples_test

import (
	"bufio"
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"reflect"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/google/uuid"
	"github.com/pquerna/otp/totp"

	"github.com/portico-auth/portico/internal/apptest"
	"github.com/portico-auth/portico/internal/apptest/golden"
	"github.com/portico-auth/portico/internal/identity"
	"github.com/portico-auth/portico/internal/kratosexamples"
)

// The parity goldens (issue 12): every reply recorded from Kratos (recorded/) is compared with
// Portico's reply to the same request, after both are normalised the same way (ids, tokens,
// times, the two servers' base URLs, the test's own e-mail address, a CSRF token, a TOTP
// secret and its QR code). Values of every other field must be equal, not only the keys; the
// .headers files are compared for the status, Location, Set-Cookie names and attributes,
// Cache-Control, Content-Type, Ory-Error-Id and Vary. Where Portico differs on purpose, the
// case names the path and the reason (listed in the README's compatibility table); any other
// difference fails. Nothing is skipped.

// kratosPublic is the public base URL the recordings were made on; the UI ran on 4455.
const kratosPublic = "http://127.0.0.1:34433"

const (
	uiBase     = "http://127.0.0.1:4455"
	recEmail   = "a@example.com" // the recorded identity's address
	parityPass = "parity password for the goldens 42"
)

// onPurpose is a difference Portico keeps deliberately: the JSON path (dotted, [] for every
// item) whose value may differ, and why.
type onPurpose struct{ path, why string }

// startParity starts Portico with the configuration the recordings were made with: the
// recorded identity schema, TOTP and
// lookup codes on, required_aal highest_available, the UI on 127.0.0.1:4455 and
// http://127.0.0.1:4455/after an allowed return URL.
func startParity(t *testing.T) *apptest.Server {
	t.Helper()
	schema := base64.StdEncoding.EncodeToString(kratosexamples.Read(t, "identity.schema.json"))
	return apptest.Start(t,
		apptest.WithEnv("IDENTITY_SCHEMAS", `[{"id":"default","url":"base64://`+schema+`"}]`),
		apptest.WithEnv("SELFSERVICE_METHODS_TOTP_ENABLED", "true"),
		apptest.WithEnv("SELFSERVICE_METHODS_LOOKUP_SECRET_ENABLED", "true"),
		apptest.WithEnv("SELFSERVICE_FLOWS_SETTINGS_UI_URL", uiBase+"/settings"),
		apptest.WithEnv("SELFSERVICE_FLOWS_LOGIN_UI_URL", uiBase+"/login"),
		apptest.WithEnv("SELFSERVICE_FLOWS_REGISTRATION_UI_URL", uiBase+"/registration"),
		apptest.WithEnv("SELFSERVICE_FLOWS_ERROR_UI_URL", uiBase+"/error"),
		apptest.WithEnv("SELFSERVICE_DEFAULT_BROWSER_RETURN_URL", uiBase+"/"),
		apptest.WithEnv("SELFSERVICE_ALLOWED_RETURN_URLS", uiBase+"/after"),
	)
}

// user is one identity of the test (its own address, so the test also runs on a shared
// PostgreSQL database) with an aal1 session.
type user struct {
	email, token string
	ident        *identity.Identity
}

func newUser(t *testing.T, s *apptest.Server) *user {
	t.Helper()
	email := "parity-" + uuid.NewString() + "@example.com"
	id := s.CreateIdentity(t, email, parityPass)
	return &user{email: email, token: s.IssueSession(t, id, "aal1"), ident: id}
}

func (u *user) spa(t *testing.T, s *apptest.Server) *apptest.Client {
	c := s.SPA(t)
	c.SetSessionCookie(s, u.token)
	return c
}

func (u *user) browser(t *testing.T, s *apptest.Server) *apptest.Client {
	c := s.Browser(t)
	c.SetSessionCookie(s, u.token)
	return c
}

func (u *user) native(t *testing.T, s *apptest.Server) *apptest.Client {
	c := s.Native(t)
	c.Header.Set("X-Session-Token", u.token)
	return c
}

// enrolTOTP completes the TOTP enrolment of an API settings flow and returns the reply.
func (u *user) enrolTOTP(t *testing.T, s *apptest.Server) *apptest.Response {
	t.Helper()
	f := u.native(t, s).Get(s.PublicURL("/self-service/settings/api"))
	if f.StatusCode != http.StatusOK {
		t.Fatalf("settings api flow: %d %s", f.StatusCode, f.Body)
	}
	m := regexp.MustCompile(`"secret":"([A-Z2-7]+)"`).FindSubmatch(f.Body)
	if m == nil {
		t.Fatalf("no TOTP secret in %s", f.Body)
	}
	code, err := totp.GenerateCode(string(m[1]), s.Clock.Now())
	if err != nil {
		t.Fatal(err)
	}
	id := f.Map(t)["id"].(string)
	r := u.native(t, s).PostJSON(s.PublicURL("/self-service/settings?flow="+id), map[string]any{"method": "totp", "totp_code": code})
	if r.StatusCode != http.StatusOK {
		t.Fatalf("enrol TOTP: %d %s", r.StatusCode, r.Body)
	}
	return r
}

type parityCase struct {
	name string
	// json and headers name the recorded files ("" = none).
	json, headers string
	do            func(t *testing.T, s *apptest.Server) (*apptest.Response, *user)
	differs       []onPurpose
}

func parityCases() []parityCase {
	return []parityCase{
		{
			name: "createBrowserSettingsFlow AJAX", json: "settings-browser-ajax-200.json", headers: "settings-browser-ajax.headers",
			do: func(t *testing.T, s *apptest.Server) (*apptest.Response, *user) {
				u := newUser(t, s)
				return u.spa(t, s).Get(s.PublicURL("/self-service/settings/browser")), u
			},
		},
		{
			name: "createBrowserSettingsFlow browser", headers: "settings-browser-html-303-session.headers",
			do: func(t *testing.T, s *apptest.Server) (*apptest.Response, *user) {
				u := newUser(t, s)
				return u.browser(t, s).Get(s.PublicURL("/self-service/settings/browser")), u
			},
		},
		{
			name: "createBrowserSettingsFlow AJAX without a session", json: "settings-browser-ajax-401.json", headers: "settings-browser-ajax-401.headers",
			do: func(t *testing.T, s *apptest.Server) (*apptest.Response, *user) {
				return s.SPA(t).Get(s.PublicURL("/self-service/settings/browser")), nil
			},
		},
		{
			name: "createBrowserSettingsFlow AJAX aal1 of an aal2 identity", json: "settings-browser-ajax-403-aal2.json",
			do: func(t *testing.T, s *apptest.Server) (*apptest.Response, *user) {
				u := newUser(t, s)
				u.enrolTOTP(t, s)
				u.token = s.IssueSession(t, u.ident, "aal1") // a new password-only sign-in
				return u.spa(t, s).Get(s.PublicURL("/self-service/settings/browser")), u
			},
		},
		{
			name: "createBrowserSettingsFlow AJAX allowed return_to", json: "settings-browser-ajax-return_to-allowed.json",
			do: func(t *testing.T, s *apptest.Server) (*apptest.Response, *user) {
				u := newUser(t, s)
				return u.spa(t, s).Get(s.PublicURL("/self-service/settings/browser?return_to=" + uiBase + "/after")), u
			},
		},
		{
			name: "createBrowserSettingsFlow AJAX forbidden return_to", json: "settings-browser-ajax-return_to-forbidden.json", headers: "settings-browser-ajax-return_to-forbidden.headers",
			do: func(t *testing.T, s *apptest.Server) (*apptest.Response, *user) {
				u := newUser(t, s)
				return u.spa(t, s).Get(s.PublicURL("/self-service/settings/browser?return_to=https://evil.example/")), u
			},
		},
		{
			name: "createNativeSettingsFlow", json: "settings-api-200.json",
			do: func(t *testing.T, s *apptest.Server) (*apptest.Response, *user) {
				u := newUser(t, s)
				return u.native(t, s).Get(s.PublicURL("/self-service/settings/api")), u
			},
		},
		{
			name: "updateSettingsFlow TOTP enrolled (API)", json: "settings-api-totp-enrolled.json",
			do: func(t *testing.T, s *apptest.Server) (*apptest.Response, *user) {
				u := newUser(t, s)
				return u.enrolTOTP(t, s), u
			},
			differs: []onPurpose{{"identity.verifiable_addresses[].status",
				"the recorded identity signed up with Kratos's verification on (a message at sign-up made it sent); the test's identity is made by the admin API with verification off, so its address stays pending"}},
		},
		{
			name: "createNativeLoginFlow", json: "login-api-flow.json",
			do: func(t *testing.T, s *apptest.Server) (*apptest.Response, *user) {
				return s.Native(t).Get(s.PublicURL("/self-service/login/api")), nil
			},
		},
		{
			name: "updateLoginFlow password (API)", json: "login-api-success.json",
			do: func(t *testing.T, s *apptest.Server) (*apptest.Response, *user) {
				email := "parity-" + uuid.NewString() + "@example.com"
				s.CreateIdentity(t, email, parityPass)
				app := s.Native(t)
				app.Header.Set("User-Agent", "curl/7.88.1")
				f := app.Get(s.PublicURL("/self-service/login/api"))
				id := f.Map(t)["id"].(string)
				return app.PostJSON(s.PublicURL("/self-service/login?flow="+id), map[string]any{
					"method": "password", "identifier": email, "password": parityPass,
				}), &user{email: email}
			},
		},
		{
			name: "toSession", json: "whoami-200.json",
			do: func(t *testing.T, s *apptest.Server) (*apptest.Response, *user) {
				email := "parity-" + uuid.NewString() + "@example.com"
				s.CreateIdentity(t, email, parityPass)
				tok := s.LoginNative(t, email, parityPass)
				app := s.Native(t)
				app.Header.Set("X-Session-Token", tok)
				return app.Get(s.PublicURL("/sessions/whoami")), &user{email: email}
			},
		},
		{
			name: "createIdentity (admin)", json: "admin-create-identity.json",
			do: func(t *testing.T, s *apptest.Server) (*apptest.Response, *user) {
				email := "parity-" + uuid.NewString() + "@example.com"
				r := s.Native(t).PostJSON(s.AdminURL("/admin/identities"), map[string]any{
					"schema_id":   "default",
					"traits":      map[string]any{"email": email, "name": map[string]any{"first": "Ada", "last": "Lovelace"}},
					"credentials": map[string]any{"password": map[string]any{"config": map[string]any{"password": parityPass}}},
				})
				return r, &user{email: email}
			},
		},
	}
}

func TestKratosParity(t *testing.T) {
	s := startParity(t)
	seen := map[string]bool{}
	for _, tc := range parityCases() {
		t.Run(tc.name, func(t *testing.T) {
			r, u := tc.do(t, s)
			if tc.json != "" {
				seen[tc.json] = true
				compareJSON(t, s, u, r, kratosexamples.Read(t, tc.json), tc.differs)
			}
			if tc.headers != "" {
				seen[tc.headers] = true
				compareHeaders(t, s, r, kratosexamples.Read(t, tc.headers))
			}
		})
	}
	// Every recording is compared: a new file in recorded/ without a case fails here.
	entries, err := kratosexamples.Files()
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range entries {
		if (strings.HasSuffix(name, ".json") || strings.HasSuffix(name, ".headers")) && name != "identity.schema.json" && !seen[name] {
			t.Errorf("recorded %s is compared by no case", name)
		}
	}
}

var (
	uuidRE  = regexp.MustCompile(`[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}`)
	tokenRE = regexp.MustCompile(`ory_st_[0-9A-Za-z]+`)
)

// normalise decodes body after putting both servers' public URLs and the test's address on
// common placeholders, and replaces what differs per run.
func normalise(t *testing.T, body []byte, public, email string) any {
	t.Helper()
	s := strings.ReplaceAll(string(body), public, "<public>")
	if email != "" {
		s = strings.ReplaceAll(s, email, recEmail)
	}
	var v any
	if err := json.Unmarshal([]byte(s), &v); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, body)
	}
	return clean(v)
}

// clean is golden.Walk with the placeholders of a comparison with Kratos: UUIDs and session
// tokens, and the TOTP enrolment's QR image and secret.
func clean(v any) any {
	return golden.Walk(v, func(x string) string {
		s := uuidRE.ReplaceAllString(x, "<uuid>")
		return tokenRE.ReplaceAllString(s, "ory_st_<token>")
	}, func(x map[string]any) {
		if src, ok := x["src"].(string); ok && strings.HasPrefix(src, "data:image/png;base64,") {
			x["src"] = "<qr>"
		}
		if x["id"] == "totp_secret_key" {
			if tx, ok := x["text"].(map[string]any); ok {
				tx["text"] = "<secret>"
				if c, ok := tx["context"].(map[string]any); ok {
					c["secret"] = "<secret>"
				}
			}
		}
	})
}

func compareJSON(t *testing.T, s *apptest.Server, u *user, r *apptest.Response, recorded []byte, differs []onPurpose) {
	t.Helper()
	email := ""
	if u != nil {
		email = u.email
	}
	got := normalise(t, r.Body, strings.TrimSuffix(s.PublicURL("/"), "/"), email)
	want := normalise(t, recorded, kratosPublic, "")
	allowed := map[string]bool{}
	for _, d := range differs {
		allowed[d.path] = true
	}
	var diffs []string
	diff("", got, want, allowed, &diffs)
	if len(diffs) > 0 {
		t.Errorf("reply (%d) differs from Kratos's:\n  %s\nreply: %s", r.StatusCode, strings.Join(diffs, "\n  "), r.Body)
	}
	// An on-purpose difference must still be one: when Portico matches Kratos there, the
	// exception is stale and is removed.
	for _, d := range differs {
		var g, w []any
		collect(d.path, got, &g)
		collect(d.path, want, &w)
		if len(g) > 0 && reflect.DeepEqual(g, w) {
			t.Errorf("%s now matches Kratos; drop the on-purpose difference (%s)", d.path, d.why)
		}
	}
}

// diff lists the paths where got and want differ (keys missing on either side, other values).
func diff(path string, got, want any, allowed map[string]bool, out *[]string) {
	if allowed[path] {
		return
	}
	switch w := want.(type) {
	case map[string]any:
		g, ok := got.(map[string]any)
		if !ok {
			*out = append(*out, fmt.Sprintf("%s: %s, want %s", orRoot(path), short(got), short(want)))
			return
		}
		keys := map[string]bool{}
		for k := range w {
			keys[k] = true
		}
		for k := range g {
			keys[k] = true
		}
		sorted := make([]string, 0, len(keys))
		for k := range keys {
			sorted = append(sorted, k)
		}
		sort.Strings(sorted)
		for _, k := range sorted {
			p := join(path, k)
			gv, gok := g[k]
			wv, wok := w[k]
			switch {
			case allowed[p]:
			case !gok:
				*out = append(*out, fmt.Sprintf("%s: missing, want %s", p, short(wv)))
			case !wok:
				*out = append(*out, fmt.Sprintf("%s: %s is not in Kratos's reply", p, short(gv)))
			default:
				diff(p, gv, wv, allowed, out)
			}
		}
	case []any:
		g, ok := got.([]any)
		if !ok || len(g) != len(w) {
			*out = append(*out, fmt.Sprintf("%s: %s, want %s", orRoot(path), short(got), short(want)))
			return
		}
		for i := range w {
			diff(path+"[]", g[i], w[i], allowed, out)
		}
	default:
		if !reflect.DeepEqual(got, want) {
			*out = append(*out, fmt.Sprintf("%s: %s, want %s", orRoot(path), short(got), short(want)))
		}
	}
}

// collect gathers the values at path ("a.b[].c").
func collect(path string, v any, out *[]any) {
	if path == "" {
		*out = append(*out, v)
		return
	}
	head, rest, _ := strings.Cut(path, ".")
	name, each := strings.CutSuffix(head, "[]")
	m, ok := v.(map[string]any)
	if !ok {
		return
	}
	x, ok := m[name]
	if !ok {
		return
	}
	if !each {
		collect(rest, x, out)
		return
	}
	items, _ := x.([]any)
	for _, it := range items {
		collect(rest, it, out)
	}
}

func join(path, k string) string {
	if path == "" {
		return k
	}
	return path + "." + k
}

func orRoot(p string) string {
	if p == "" {
		return "(root)"
	}
	return p
}

func short(v any) string {
	b, _ := json.Marshal(v)
	if len(b) > 300 {
		return string(b[:300]) + "…"
	}
	return string(b)
}

// recordedHeaders parses a .headers file: the status code and the headers.
func recordedHeaders(t *testing.T, b []byte) (int, http.Header) {
	t.Helper()
	sc := bufio.NewScanner(bytes.NewReader(b))
	if !sc.Scan() {
		t.Fatal("empty headers file")
	}
	var proto string
	var code int
	if _, err := fmt.Sscanf(sc.Text(), "%s %d", &proto, &code); err != nil {
		t.Fatalf("status line %q: %v", sc.Text(), err)
	}
	h := http.Header{}
	for sc.Scan() {
		line := sc.Text()
		if strings.TrimSpace(line) == "" {
			continue
		}
		k, v, ok := strings.Cut(line, ":")
		if !ok {
			t.Fatalf("header line %q", line)
		}
		h.Add(strings.TrimSpace(k), strings.TrimSpace(v))
	}
	return code, h
}

var csrfCookieRE = regexp.MustCompile(`^csrf_token_[0-9a-f]{64}$`)

// cookieShape is a Set-Cookie line without its value: the name (a CSRF cookie's hash part
// replaced, it hashes the base URL) and the attributes, sorted.
func cookieShape(line string) string {
	parts := strings.Split(line, ";")
	name, _, _ := strings.Cut(strings.TrimSpace(parts[0]), "=")
	if csrfCookieRE.MatchString(name) {
		name = "csrf_token_<sha256 of the base URL>"
	}
	attrs := make([]string, 0, len(parts)-1)
	for _, p := range parts[1:] {
		attrs = append(attrs, strings.TrimSpace(p))
	}
	sort.Strings(attrs)
	return name + "; " + strings.Join(attrs, "; ")
}

func compareHeaders(t *testing.T, s *apptest.Server, r *apptest.Response, recorded []byte) {
	t.Helper()
	code, want := recordedHeaders(t, recorded)
	if r.StatusCode != code {
		t.Errorf("status %d, Kratos %d", r.StatusCode, code)
	}
	for _, k := range []string{"Cache-Control", "Content-Type", "Ory-Error-Id"} {
		if g, w := r.Header.Get(k), want.Get(k); g != w {
			t.Errorf("%s: %q, Kratos %q", k, g, w)
		}
	}
	if g, w := sortedValues(r.Header, "Vary"), sortedValues(want, "Vary"); !reflect.DeepEqual(g, w) {
		t.Errorf("Vary: %q, Kratos %q", g, w)
	}
	loc := uuidRE.ReplaceAllString(strings.ReplaceAll(r.Header.Get("Location"), strings.TrimSuffix(s.PublicURL("/"), "/"), "<public>"), "<uuid>")
	wloc := uuidRE.ReplaceAllString(strings.ReplaceAll(want.Get("Location"), kratosPublic, "<public>"), "<uuid>")
	if loc != wloc {
		t.Errorf("Location: %q, Kratos %q", loc, wloc)
	}
	var g, w []string
	for _, c := range r.Header.Values("Set-Cookie") {
		g = append(g, cookieShape(c))
	}
	for _, c := range want.Values("Set-Cookie") {
		w = append(w, cookieShape(c))
	}
	sort.Strings(g)
	sort.Strings(w)
	if !reflect.DeepEqual(g, w) {
		t.Errorf("Set-Cookie:\n  %s\nKratos:\n  %s", strings.Join(g, "\n  "), strings.Join(w, "\n  "))
	}
}

func sortedValues(h http.Header, k string) []string {
	var out []string
	for _, v := range h.Values(k) {
		for _, p := range strings.Split(v, ",") {
			out = append(out, strings.TrimSpace(p))
		}
	}
	sort.Strings(out)
	return out
}
