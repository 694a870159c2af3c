package sessionapi_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/portico-auth/portico/internal/apierr"
	"github.com/portico-auth/portico/internal/identity"
	"github.com/portico-auth/portico/internal/session"
	"github.com/portico-auth/portico/internal/session/sessionhttp"
	"github.com/portico-auth/portico/internal/sessionapi"
)

type clock struct{ t time.Time }

func (c *clock) Now() time.Time { return c.t }

type env struct {
	t      *testing.T
	st     backend
	mgr    *sessionhttp.Sessions
	clk    *clock
	public *httptest.Server
	admin  *httptest.Server
}

func newEnv(t *testing.T, opts session.Options) *env {
	t.Helper()
	st := newBackend(t)
	clk := &clock{t: time.Now().UTC().Truncate(time.Second)}
	if opts.Factors == nil {
		opts.Factors = &passwordAndTOTP
	}
	mgr := sessionhttp.New(st, sessionhttp.Options{Options: opts, PublicBaseURL: "http://public.example"}, clk.Now)
	h := sessionapi.New(mgr, st, "http://public.example")
	pub, adm := http.NewServeMux(), http.NewServeMux()
	h.RegisterPublic(pub)
	h.RegisterAdmin(adm)
	e := &env{t: t, st: st, mgr: mgr, clk: clk, public: httptest.NewServer(pub), admin: httptest.NewServer(adm)}
	t.Cleanup(e.public.Close)
	t.Cleanup(e.admin.Close)
	return e
}

// identity creates an identity with a password, and a TOTP credential when twoFactor.
func (e *env) identity(email string, twoFactor bool) *identity.Identity {
	e.t.Helper()
	now := e.clk.t
	creds := map[identity.CredentialsType]identity.Credentials{
		identity.CredentialsPassword: {Type: identity.CredentialsPassword, Identifiers: []string{email}, Config: []byte(`{"hashed_password":"x"}`), Version: 0, CreatedAt: now, UpdatedAt: now},
	}
	if twoFactor {
		creds[identity.CredentialsTOTP] = identity.Credentials{Type: identity.CredentialsTOTP, Identifiers: []string{uuid.NewString()}, Config: []byte(`{"totp_url":"otpauth://x"}`), CreatedAt: now, UpdatedAt: now}
	}
	id := &identity.Identity{
		SchemaID: "default", State: identity.StateActive, StateChangedAt: &now,
		Traits:         json.RawMessage(`{"email":"` + email + `"}`),
		MetadataPublic: json.RawMessage(`{"p":1}`), MetadataAdmin: json.RawMessage(`{"secret":1}`),
		Credentials: creds, VerifiableAddresses: []identity.VerifiableAddress{}, RecoveryAddresses: []identity.RecoveryAddress{},
	}
	if err := e.st.CreateIdentity(context.Background(), id); err != nil {
		e.t.Fatal(err)
	}
	return id
}

// login issues a session after the given methods and returns it with its token.
func (e *env) login(id *identity.Identity, methods ...string) (*session.Session, string) {
	e.t.Helper()
	var ms []session.AuthenticationMethod
	for _, m := range methods {
		aal := session.AAL1
		if m == "totp" {
			aal = session.AAL2 // as the TOTP login method states
		}
		ms = append(ms, session.AuthenticationMethod{Method: m, AAL: aal})
	}
	s, tok, err := e.mgr.Issue(context.Background(), id, ms, session.Device{IPAddress: "127.0.0.1", UserAgent: "test"})
	if err != nil {
		e.t.Fatal(err)
	}
	e.clk.t = e.clk.t.Add(time.Second) // keep issued_at distinct so "newest first" is well defined
	return s, tok
}

type reply struct {
	status int
	header http.Header
	body   []byte
}

func (r reply) json(t *testing.T, v any) {
	t.Helper()
	if err := json.Unmarshal(r.body, v); err != nil {
		t.Fatalf("decode %s: %v", r.body, err)
	}
}

func (r reply) errorID() string {
	var b struct {
		Error struct {
			ID string `json:"id"`
		} `json:"error"`
	}
	_ = json.Unmarshal(r.body, &b)
	return b.Error.ID
}

func (e *env) do(srv *httptest.Server, method, path string, hdr map[string]string) reply {
	e.t.Helper()
	req, err := http.NewRequest(method, srv.URL+path, nil)
	if err != nil {
		e.t.Fatal(err)
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	res, err := srv.Client().Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return reply{status: res.StatusCode, header: res.Header, body: b}
}

func tokenHdr(tok string) map[string]string { return map[string]string{"X-Session-Token": tok} }

func expect(t *testing.T, r reply, status int, errID string) {
	t.Helper()
	if r.status != status || r.errorID() != errID {
		t.Fatalf("got %d %s, want %d %q", r.status, r.body, status, errID)
	}
}

func TestWhoami(t *testing.T) {
	e := newEnv(t, session.DefaultOptions())
	ada := e.identity("ada@example.com", false)
	s, tok := e.login(ada, "password")
	twoFA := e.identity("bob@example.com", true)
	_, weak := e.login(twoFA, "password")
	_, strong := e.login(twoFA, "password", "totp")

	for name, hdr := range map[string]map[string]string{
		"token":  tokenHdr(tok),
		"bearer": {"Authorization": "Bearer " + tok},
		"cookie": {"Cookie": "ory_kratos_session=" + tok},
	} {
		t.Run(name, func(t *testing.T) {
			r := e.do(e.public, "GET", "/sessions/whoami", hdr)
			expect(t, r, 200, "")
			if r.header.Get("X-Kratos-Authenticated-Identity-Id") != ada.ID.String() || !strings.Contains(r.header.Get("Cache-Control"), "no-store") {
				t.Fatalf("headers %v", r.header)
			}
			var got map[string]any
			r.json(t, &got)
			for _, k := range []string{"id", "active", "expires_at", "authenticated_at", "authenticator_assurance_level", "authentication_methods", "issued_at", "identity", "devices"} {
				if _, ok := got[k]; !ok {
					t.Errorf("missing %s in %s", k, r.body)
				}
			}
			if got["id"] != s.ID.String() || got["authenticator_assurance_level"] != "aal1" ||
				got["identity"].(map[string]any)["schema_url"] != "http://public.example/schemas/ZGVmYXVsdA" {
				t.Errorf("body %s", r.body)
			}
			ident := got["identity"].(map[string]any)
			if _, ok := ident["credentials"]; ok {
				t.Error("whoami shows credentials")
			}
			if _, ok := ident["metadata_admin"]; ok {
				t.Error("whoami shows metadata_admin")
			}
		})
	}

	expect(t, e.do(e.public, "GET", "/sessions/whoami", nil), 401, "")                        // Kratos: a plain 401 without an id
	expect(t, e.do(e.public, "GET", "/sessions/whoami", tokenHdr("ory_st_unknown")), 401, "") // Kratos: a plain 401 without an id
	expect(t, e.do(e.public, "GET", "/sessions/whoami", tokenHdr(strong)), 200, "")

	r := e.do(e.public, "GET", "/sessions/whoami", tokenHdr(weak))
	expect(t, r, 403, "session_aal2_required")
	var body struct {
		Error struct {
			Details map[string]string `json:"details"`
		} `json:"error"`
		Redirect string `json:"redirect_browser_to"`
	}
	r.json(t, &body)
	want := "http://public.example/self-service/login/browser?aal=aal2"
	if body.Redirect != want || body.Error.Details["redirect_browser_to"] != want {
		t.Fatalf("redirects %s", r.body)
	}

	e.clk.t = e.clk.t.Add(25 * time.Hour)
	expect(t, e.do(e.public, "GET", "/sessions/whoami", tokenHdr(tok)), 401, "") // Kratos: a plain 401 without an id
}

func TestWhoamiRequiredAAL1(t *testing.T) {
	opts := session.DefaultOptions()
	opts.WhoamiRequiredAAL = "aal1"
	e := newEnv(t, opts)
	_, weak := e.login(e.identity("bob@example.com", true), "password")
	expect(t, e.do(e.public, "GET", "/sessions/whoami", tokenHdr(weak)), 200, "")
}

func TestMySessions(t *testing.T) {
	e := newEnv(t, session.DefaultOptions())
	ada := e.identity("ada@example.com", false)
	other := e.identity("eve@example.com", false)
	s1, _ := e.login(ada, "password")
	s2, _ := e.login(ada, "password")
	// A session that expired a minute ago: issued a lifespan and a minute before now.
	e.clk.t = e.clk.t.Add(-24*time.Hour - time.Minute)
	e.login(ada, "password")
	e.clk.t = e.clk.t.Add(24*time.Hour + time.Minute)
	cur, tok := e.login(ada, "password")
	foreign, _ := e.login(other, "password")

	expect(t, e.do(e.public, "GET", "/sessions", nil), 401, "session_inactive")
	r := e.do(e.public, "GET", "/sessions", tokenHdr(tok))
	expect(t, r, 200, "")
	var list []session.Session
	r.json(t, &list)
	if len(list) != 2 || list[0].ID != s2.ID || list[1].ID != s1.ID {
		t.Fatalf("list %s", r.body)
	}
	if !strings.Contains(r.header.Get("Link"), `rel="first"`) {
		t.Errorf("link %q", r.header.Get("Link"))
	}

	// Page by one: the current session sits first, so the first page is empty but leads on.
	seen := map[uuid.UUID]bool{}
	path := "/sessions?page_size=1"
	for i := 0; path != "" && i < 10; i++ {
		r := e.do(e.public, "GET", path, tokenHdr(tok))
		expect(t, r, 200, "")
		var page []session.Session
		r.json(t, &page)
		for _, s := range page {
			seen[s.ID] = true
		}
		path = nextLink(r.header.Get("Link"), e.public.URL)
	}
	if len(seen) != 2 || !seen[s1.ID] || !seen[s2.ID] {
		t.Fatalf("paged %v", seen)
	}
	expect(t, e.do(e.public, "GET", "/sessions?page_size=0", tokenHdr(tok)), 400, "")
	expect(t, e.do(e.public, "GET", "/sessions?page_size=501", tokenHdr(tok)), 400, "")

	// Revoke one.
	expect(t, e.do(e.public, "DELETE", "/sessions/"+cur.ID.String(), tokenHdr(tok)), 400, "")
	expect(t, e.do(e.public, "DELETE", "/sessions/"+foreign.ID.String(), tokenHdr(tok)), 404, "")
	expect(t, e.do(e.public, "DELETE", "/sessions/"+uuid.NewString(), tokenHdr(tok)), 404, "")
	expect(t, e.do(e.public, "DELETE", "/sessions/not-a-uuid", tokenHdr(tok)), 400, "")
	expect(t, e.do(e.public, "DELETE", "/sessions/"+s1.ID.String(), nil), 401, "session_inactive")
	if r := e.do(e.public, "DELETE", "/sessions/"+s1.ID.String(), tokenHdr(tok)); r.status != 204 {
		t.Fatalf("revoke mine: %d %s", r.status, r.body)
	}
	got, err := e.st.GetSession(context.Background(), s1.ID)
	if err != nil || got.Active {
		t.Fatalf("s1 still active: %v %v", got, err)
	}

	// Revoke all others: s2 and the expired-but-active one.
	expect(t, e.do(e.public, "DELETE", "/sessions", nil), 401, "session_inactive")
	r = e.do(e.public, "DELETE", "/sessions", tokenHdr(tok))
	expect(t, r, 200, "")
	var count struct {
		Count int `json:"count"`
	}
	r.json(t, &count)
	if count.Count != 2 {
		t.Fatalf("count %s", r.body)
	}
	expect(t, e.do(e.public, "GET", "/sessions/whoami", tokenHdr(tok)), 200, "")
	if f, _ := e.st.GetSession(context.Background(), foreign.ID); !f.Active {
		t.Fatal("another identity's session was revoked")
	}
}

// nextLink returns the path and query of the rel="next" link, or "".
func nextLink(h, base string) string {
	for _, part := range strings.Split(h, ",") {
		if strings.Contains(part, `rel="next"`) {
			u := strings.TrimSpace(part[strings.Index(part, "<")+1 : strings.Index(part, ">")])
			return strings.TrimPrefix(u, base)
		}
	}
	return ""
}

func TestAdminSessions(t *testing.T) {
	e := newEnv(t, session.DefaultOptions())
	ada := e.identity("ada@example.com", false)
	bob := e.identity("bob@example.com", false)
	a1, _ := e.login(ada, "password")
	a2, tokA2 := e.login(ada, "password")
	b1, _ := e.login(bob, "password")
	if err := e.st.RevokeSession(context.Background(), uuid.Nil, a1.ID); err != nil {
		t.Fatal(err)
	}

	list := func(path string) []map[string]any {
		t.Helper()
		r := e.do(e.admin, "GET", path, nil)
		expect(t, r, 200, "")
		var out []map[string]any
		r.json(t, &out)
		return out
	}
	if all := list("/admin/sessions"); len(all) != 3 || all[0]["identity"] != nil || all[0]["devices"] != nil {
		t.Fatalf("all: %v", all)
	}
	if act := list("/admin/sessions?active=true"); len(act) != 2 {
		t.Fatalf("active: %v", act)
	}
	if inact := list("/admin/sessions?active=false"); len(inact) != 1 || inact[0]["id"] != a1.ID.String() {
		t.Fatalf("inactive: %v", inact)
	}
	exp := list("/admin/sessions?expand=identity&expand=devices")
	ident, _ := exp[0]["identity"].(map[string]any)
	if ident == nil || exp[0]["devices"] == nil || ident["credentials"] != nil || ident["metadata_admin"] == nil {
		t.Fatalf("expanded: %v", exp[0])
	}
	r := e.do(e.admin, "GET", "/admin/sessions?page_size=2", nil)
	expect(t, r, 200, "")
	if next := nextLink(r.header.Get("Link"), e.admin.URL); next == "" || len(list(next)) != 1 {
		t.Fatalf("paging: %q", r.header.Get("Link"))
	}
	expect(t, e.do(e.admin, "GET", "/admin/sessions?page_size=1001", nil), 400, "")
	expect(t, e.do(e.admin, "GET", "/admin/sessions?active=maybe", nil), 400, "")
	expect(t, e.do(e.admin, "GET", "/admin/sessions?expand=everything", nil), 400, "")

	// getSession
	r = e.do(e.admin, "GET", "/admin/sessions/"+b1.ID.String()+"?expand=Identity", nil)
	expect(t, r, 200, "")
	var one map[string]any
	r.json(t, &one)
	if one["id"] != b1.ID.String() || one["identity"] == nil {
		t.Fatalf("get: %s", r.body)
	}
	expect(t, e.do(e.admin, "GET", "/admin/sessions/"+uuid.NewString(), nil), 404, "")
	expect(t, e.do(e.admin, "GET", "/admin/sessions/nope", nil), 400, "")

	// extendSession
	e.clk.t = e.clk.t.Add(10 * time.Hour)
	r = e.do(e.admin, "PATCH", "/admin/sessions/"+a2.ID.String()+"/extend", nil)
	expect(t, r, 200, "")
	var ext session.Session
	r.json(t, &ext)
	if !ext.ExpiresAt.Equal(e.clk.t.Add(24 * time.Hour)) {
		t.Fatalf("extended to %v, want %v", ext.ExpiresAt, e.clk.t.Add(24*time.Hour))
	}
	stored, _ := e.st.GetSession(context.Background(), a2.ID)
	if !stored.ExpiresAt.Equal(ext.ExpiresAt) {
		t.Fatalf("stored expiry %v", stored.ExpiresAt)
	}
	expect(t, e.do(e.admin, "PATCH", "/admin/sessions/"+uuid.NewString()+"/extend", nil), 404, "")
	expect(t, e.do(e.admin, "PATCH", "/admin/sessions/"+a1.ID.String()+"/extend", nil), 404, "")

	// disableSession
	if r := e.do(e.admin, "DELETE", "/admin/sessions/"+a2.ID.String(), nil); r.status != 204 {
		t.Fatalf("disable: %d %s", r.status, r.body)
	}
	expect(t, e.do(e.public, "GET", "/sessions/whoami", tokenHdr(tokA2)), 401, "") // Kratos: a plain 401 without an id
	expect(t, e.do(e.admin, "DELETE", "/admin/sessions/"+uuid.NewString(), nil), 404, "")
}

func TestAdminIdentitySessions(t *testing.T) {
	e := newEnv(t, session.DefaultOptions())
	ada := e.identity("ada@example.com", false)
	bob := e.identity("bob@example.com", false)
	e.login(ada, "password")
	_, tokA := e.login(ada, "password")
	_, tokB := e.login(bob, "password")

	r := e.do(e.admin, "GET", "/admin/identities/"+ada.ID.String()+"/sessions", nil)
	expect(t, r, 200, "")
	var list []session.Session
	r.json(t, &list)
	if len(list) != 2 || list[0].Identity == nil || list[0].Identity.ID != ada.ID {
		t.Fatalf("list %s", r.body)
	}
	expect(t, e.do(e.admin, "GET", "/admin/identities/"+uuid.NewString()+"/sessions", nil), 404, "")
	expect(t, e.do(e.admin, "GET", "/admin/identities/x/sessions", nil), 400, "")

	if r := e.do(e.admin, "DELETE", "/admin/identities/"+ada.ID.String()+"/sessions", nil); r.status != 204 {
		t.Fatalf("delete: %d %s", r.status, r.body)
	}
	expect(t, e.do(e.public, "GET", "/sessions/whoami", tokenHdr(tokA)), 401, "") // Kratos: a plain 401 without an id
	expect(t, e.do(e.public, "GET", "/sessions/whoami", tokenHdr(tokB)), 200, "")
	expect(t, e.do(e.admin, "DELETE", "/admin/identities/"+uuid.NewString()+"/sessions", nil), 404, "")

	r = e.do(e.admin, "GET", "/admin/identities/"+ada.ID.String()+"/sessions?active=true", nil)
	expect(t, r, 200, "")
	if strings.TrimSpace(string(r.body)) != "[]" {
		t.Fatalf("active after delete: %s", r.body)
	}
}

// downStore is a store whose database stopped answering.
type downStore struct{ backend }

func (downStore) GetSessionByToken(context.Context, []byte) (*session.Session, error) {
	return nil, apierr.ErrUnavailable.WithCause(errors.New("connection refused"))
}

func TestWhoamiDatabaseDown(t *testing.T) {
	e := newEnv(t, session.DefaultOptions())
	_, tok := e.login(e.identity("ada@example.com", false), "password")
	mgr := sessionhttp.New(downStore{e.st}, sessionhttp.DefaultOptions(), e.clk.Now)
	mux := http.NewServeMux()
	sessionapi.New(mgr, e.st, "http://public.example").RegisterPublic(mux)
	srv := httptest.NewServer(mux)
	defer srv.Close()
	r := e.do(srv, "GET", "/sessions/whoami", tokenHdr(tok))
	if r.status != 503 {
		t.Fatalf("got %d %s, want 503", r.status, r.body)
	}
}

// TestWhoamiUnauthorizedIsKratos: toSession without an active session answers what Kratos
// answers (no error id, no CredentialsMissing), whether the request has no credential, an
// unknown token or a revoked one; the self-service routes keep session_inactive.
func TestWhoamiUnauthorizedIsKratos(t *testing.T) {
	e := newEnv(t, session.DefaultOptions())
	ada := e.identity("ada@example.com", false)
	s, tok := e.login(ada, "password")
	if _, err := e.st.RevokeSessionsExcept(context.Background(), s.IdentityID, uuid.Nil); err != nil {
		t.Fatal(err)
	}
	want := `{"error":{"code":401,"status":"Unauthorized","reason":"No valid session credentials found in the request.","message":"The request could not be authorized"}}`
	for name, hdr := range map[string]map[string]string{
		"none": nil, "unknown": tokenHdr("ory_st_unknown"), "revoked": tokenHdr(tok),
	} {
		r := e.do(e.public, "GET", "/sessions/whoami", hdr)
		if r.status != 401 || strings.TrimSpace(string(r.body)) != want {
			t.Errorf("%s: got %d %s\nwant 401 %s", name, r.status, r.body, want)
		}
	}
	expect(t, e.do(e.public, "GET", "/sessions", nil), 401, "session_inactive")
}
