package sessionhttp_test

import (
	"context"
	"crypto/sha256"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gorilla/securecookie"

	"github.com/portico-auth/portico/internal/apierr"
	"github.com/portico-auth/portico/internal/identity"
	"github.com/portico-auth/portico/internal/session"
	"github.com/portico-auth/portico/internal/session/sessionhttp"
	"github.com/portico-auth/portico/internal/store/sqlstore"
	"github.com/portico-auth/portico/internal/store/sqlstore/sqlstoretest"
)

type clock struct{ t time.Time }

func (c *clock) Now() time.Time          { return c.t }
func (c *clock) Advance(d time.Duration) { c.t = c.t.Add(d) }

// setup runs the sessions on the real store (a private in-memory SQLite database) with one
// active identity.
func setup(t *testing.T, opts sessionhttp.Options) (*sessionhttp.Sessions, *sqlstore.Store, *clock, *identity.Identity) {
	t.Helper()
	st := sqlstoretest.Memory(t)
	clk := &clock{t: time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC)}
	id := &identity.Identity{SchemaID: "default", State: identity.StateActive, Traits: []byte(`{"email":"a@example.com"}`)}
	if err := st.CreateIdentity(context.Background(), id); err != nil {
		t.Fatal(err)
	}
	return sessionhttp.New(st, opts, clk.Now), st, clk, id
}

func TestFromRequest(t *testing.T) {
	ctx := context.Background()
	m, st, clk, id := setup(t, sessionhttp.DefaultOptions())
	s, tok, _ := m.Issue(ctx, id, []session.AuthenticationMethod{{Method: "password"}}, session.Device{})

	req := func(h map[string]string) *http.Request {
		r := httptest.NewRequest("GET", "/sessions/whoami", nil)
		for k, v := range h {
			r.Header.Set(k, v)
		}
		return r
	}
	for name, h := range map[string]map[string]string{
		"x-session-token": {"X-Session-Token": tok},
		"bearer":          {"Authorization": "Bearer " + tok},
		"cookie":          {"Cookie": "ory_kratos_session=" + tok},
	} {
		got, err := m.FromRequest(ctx, req(h))
		if err != nil || got.ID != s.ID || got.Identity == nil || got.Identity.ID != id.ID {
			t.Errorf("%s: %v %v", name, got, err)
		}
	}

	inactive := func(name string, r *http.Request) {
		t.Helper()
		_, err := m.FromRequest(ctx, r)
		e := apierr.From(err)
		if e.Code != 401 || e.ID != "session_inactive" || e.Reason != "No active session was found in this request." ||
			e.Message != "request does not have a valid authentication session" {
			t.Errorf("%s: got %v", name, err)
		}
	}
	inactive("missing", req(nil))
	inactive("unknown", req(map[string]string{"X-Session-Token": "ory_st_nope"}))

	clk.Advance(25 * time.Hour)
	inactive("expired", req(map[string]string{"X-Session-Token": tok}))
	clk.Advance(-25 * time.Hour)

	setState := func(state identity.State) {
		t.Helper()
		cur, err := st.GetIdentity(ctx, id.ID, true)
		if err != nil {
			t.Fatal(err)
		}
		cur.State = state
		if err := st.UpdateIdentity(ctx, cur); err != nil {
			t.Fatal(err)
		}
	}
	setState(identity.StateInactive)
	inactive("identity inactive", req(map[string]string{"X-Session-Token": tok}))
	setState(identity.StateActive)

	_ = st.RevokeSession(ctx, id.ID, s.ID)
	inactive("revoked", req(map[string]string{"X-Session-Token": tok}))

	_ = st.Close() // the database is gone
	_, err := m.FromRequest(ctx, req(map[string]string{"X-Session-Token": tok}))
	if apierr.From(err).Code != 503 {
		t.Errorf("database failure became %v", err)
	}
}

func TestDeviceFromRequest(t *testing.T) {
	r := httptest.NewRequest("GET", "/", nil)
	r.RemoteAddr = "192.0.2.7:5555"
	r.Header.Set("User-Agent", "curl/8")
	d := sessionhttp.DeviceFromRequest(r)
	if d.IPAddress != "192.0.2.7" || d.UserAgent != "curl/8" {
		t.Fatalf("%+v", d)
	}
}

func TestCookies(t *testing.T) {
	tests := []struct {
		name       string
		opts       func(*sessionhttp.Options)
		persistent bool
		secure     bool
		sameSite   http.SameSite
	}{
		{"defaults", func(*sessionhttp.Options) {}, true, false, http.SameSiteLaxMode},
		{"session cookie", func(o *sessionhttp.Options) { o.CookiePersistent = false }, false, false, http.SameSiteLaxMode},
		{"secure strict", func(o *sessionhttp.Options) {
			o.Secure = true
			o.SameSite = http.SameSiteStrictMode
			o.CookieDomain = "example.com"
		}, true, true, http.SameSiteStrictMode},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := sessionhttp.DefaultOptions()
			tt.opts(&o)
			m, _, clk, _ := setup(t, o)
			w := httptest.NewRecorder()
			m.SetCookie(w, "ory_st_abc", clk.t.Add(24*time.Hour))
			cs := w.Result().Cookies()
			if len(cs) != 1 {
				t.Fatal(cs)
			}
			c := cs[0]
			if c.Name != "ory_kratos_session" || c.Value != "ory_st_abc" || !c.HttpOnly || c.Path != "/" || c.Secure != tt.secure || c.SameSite != tt.sameSite || c.Domain != o.CookieDomain {
				t.Errorf("cookie %+v", c)
			}
			if tt.persistent != (c.MaxAge == 86400 && c.Expires.Equal(clk.t.Add(24*time.Hour))) {
				t.Errorf("persistence: %+v", c)
			}
			if !tt.persistent && (c.MaxAge != 0 || !c.Expires.IsZero()) {
				t.Errorf("session cookie carries expiry: %+v", c)
			}
			w = httptest.NewRecorder()
			m.ClearCookie(w)
			c = w.Result().Cookies()[0]
			if c.MaxAge >= 0 || c.Value != "" || !c.HttpOnly {
				t.Errorf("clear: %+v", c)
			}
		})
	}
}

// holds is a factor usable by any identity holding credentials of type t.
func holds(t identity.CredentialsType, second bool) identity.Factor {
	return identity.Factor{Method: string(t), Second: second, Usable: func(i *identity.Identity) bool { return i.HasCredentials(t) }}
}

func TestRequireAAL(t *testing.T) {
	with2FA := &identity.Identity{Credentials: map[identity.CredentialsType]identity.Credentials{
		identity.CredentialsPassword: {}, identity.CredentialsTOTP: {}}}
	only1FA := &identity.Identity{Credentials: map[identity.CredentialsType]identity.Credentials{identity.CredentialsPassword: {}}}
	enabled := identity.Factors{holds(identity.CredentialsPassword, false), holds(identity.CredentialsTOTP, true)}
	totpOff := identity.Factors{holds(identity.CredentialsPassword, false)}
	tests := []struct {
		name     string
		factors  identity.Factors
		s        *session.Session
		required string
		denied   bool
	}{
		{"aal1 session, password only, highest", enabled, &session.Session{AAL: session.AAL1, Identity: only1FA}, "highest_available", false},
		{"aal1 session, has totp, highest", enabled, &session.Session{AAL: session.AAL1, Identity: with2FA}, "highest_available", true},
		{"aal2 session, has totp, highest", enabled, &session.Session{AAL: session.AAL2, Identity: with2FA}, "highest_available", false},
		{"aal1 session, has totp, aal1", enabled, &session.Session{AAL: session.AAL1, Identity: with2FA}, "aal1", false},
		{"aal1 session, aal2 required", enabled, &session.Session{AAL: session.AAL1, Identity: only1FA}, "aal2", true},
		// A TOTP secret no login accepts (TOTP switched off) cannot demand a step-up.
		{"aal1 session, has totp but totp is off, highest", totpOff, &session.Session{AAL: session.AAL1, Identity: with2FA}, "highest_available", false},
		{"no factors known, highest", nil, &session.Session{AAL: session.AAL1, Identity: with2FA}, "highest_available", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fs := tt.factors
			m := sessionhttp.New(nil, sessionhttp.Options{Options: session.Options{Factors: &fs}, PublicBaseURL: "http://127.0.0.1:4433/"}, nil)
			err := m.RequireAAL(tt.s, tt.required, "")
			if (err != nil) != tt.denied {
				t.Fatalf("err = %v", err)
			}
		})
	}
	m := sessionhttp.New(nil, sessionhttp.Options{Options: session.Options{Factors: &enabled}, PublicBaseURL: "http://127.0.0.1:4433"}, nil)
	err := m.RequireAAL(&session.Session{AAL: session.AAL1, Identity: with2FA}, "highest_available", "https://app.example/x?y=1")
	e := apierr.From(err)
	want := "http://127.0.0.1:4433/self-service/login/browser?aal=aal2&return_to=https%3A%2F%2Fapp.example%2Fx%3Fy%3D1"
	if e.Code != 403 || e.ID != "session_aal2_required" || e.RedirectBrowserTo != want || e.Details["redirect_browser_to"] != want ||
		e.Message != "Session does not fulfill the requested Authenticator Assurance Level" ||
		e.Reason != "An active session was found but it does not fulfill the requested Authenticator Assurance Level. Please verify yourself with a second factor to resolve this issue." {
		t.Fatalf("%+v", e)
	}
}

// kratosCookie encodes token the way Kratos's session cookie does under secret.
func kratosCookie(t *testing.T, secret, token string) string {
	t.Helper()
	block := sha256.Sum256([]byte(secret))
	v, err := securecookie.New([]byte(secret), block[:]).Encode("ory_kratos_session",
		map[any]any{"session_token": token, "expires_at": "2036-01-01T00:00:00Z", "nonce": "n"})
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func TestAdoptKratosCookies(t *testing.T) {
	ctx := context.Background()
	const secret = "kratos-cookie-secret-for-tests"
	o := sessionhttp.DefaultOptions()
	o.KratosCookieSecrets = []string{"an-older-kratos-secret-1", secret}
	m, _, clk, id := setup(t, o)
	_, tok, _ := m.Issue(ctx, id, []session.AuthenticationMethod{{Method: "password"}}, session.Device{})

	var seen *http.Request
	mux := http.NewServeMux()
	mux.HandleFunc("GET /sessions/whoami", func(w http.ResponseWriter, r *http.Request) { seen = r })
	h := m.AdoptKratosCookies(mux)
	tests := []struct {
		name       string
		cookie     string
		sees       string // the session cookie the handler sees; "" = as sent
		wantCookie bool   // the reply sets Portico's cookie
	}{
		{"kratos cookie", kratosCookie(t, secret, tok), tok, true},
		{"another secret", kratosCookie(t, "not-the-kratos-secret-at-all", tok), "", false},
		{"unknown token", kratosCookie(t, secret, "ory_st_unknown"), "ory_st_unknown", false},
		{"not a token inside", kratosCookie(t, secret, "something else"), "", false},
		{"portico's own", tok, "", false},
		{"garbage", "%%%|||", "", false},
		{"very long", strings.Repeat("A", 64<<10), "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			seen = nil
			r := httptest.NewRequest("GET", "/sessions/whoami", nil)
			r.Header.Set("Cookie", "a=1; ory_kratos_session="+tt.cookie+`; b="two"`)
			w := httptest.NewRecorder()
			h.ServeHTTP(w, r)
			if r.Pattern != "GET /sessions/whoami" {
				t.Errorf("the request's matched route (its log line and metric) is %q", r.Pattern)
			}
			want := tt.sees
			if want == "" {
				want = tt.cookie
			}
			got, err := seen.Cookie("ory_kratos_session")
			if err != nil || got.Value != want {
				t.Errorf("handler saw the session cookie %v %v", got, err)
			}
			if a, _ := seen.Cookie("a"); a == nil || a.Value != "1" {
				t.Errorf("other cookies: %q", seen.Header.Get("Cookie"))
			}
			if b, _ := seen.Cookie("b"); b == nil || b.Value != "two" {
				t.Errorf("other cookies: %q", seen.Header.Get("Cookie"))
			}
			cs := w.Result().Cookies()
			set := len(cs) == 1 && cs[0].Value == tok && cs[0].Expires.Equal(clk.t.Add(24*time.Hour))
			if set != tt.wantCookie || (!tt.wantCookie && len(cs) != 0) {
				t.Errorf("reply cookies %v", cs)
			}
		})
	}

	plain := sessionhttp.DefaultOptions()
	m2, _, _, _ := setup(t, plain)
	next := http.HandlerFunc(func(http.ResponseWriter, *http.Request) {})
	if reflect.ValueOf(m2.AdoptKratosCookies(next)).Pointer() != reflect.ValueOf(next).Pointer() {
		t.Error("without Kratos secrets the handler is wrapped")
	}
}

// countingStore is the real store, counting the session lookups by token.
type countingStore struct {
	session.Store
	byToken atomic.Int64
}

func (c *countingStore) GetSessionByToken(ctx context.Context, tokenHash []byte) (*session.Session, error) {
	c.byToken.Add(1)
	return c.Store.GetSessionByToken(ctx, tokenHash)
}

// TestAdoptedRevokedCookieLooksUpOnce: a browser still sending the Kratos cookie of a session
// that was revoked (its cookie is never replaced, so it comes with every request) costs one
// session lookup per request, not the adoption's and then the handler's; the handler still
// answers as for Portico's own cookie of a revoked session (no active session). An active
// one is unchanged: the handler gets its session.
func TestAdoptedRevokedCookieLooksUpOnce(t *testing.T) {
	ctx := context.Background()
	const secret = "kratos-cookie-secret-for-tests"
	o := sessionhttp.DefaultOptions()
	o.KratosCookieSecrets = []string{secret}
	_, st, clk, id := setup(t, o)
	cs := &countingStore{Store: st}
	m := sessionhttp.New(cs, o, clk.Now)
	revoked, revokedTok, _ := m.Issue(ctx, id, []session.AuthenticationMethod{{Method: "password"}}, session.Device{})
	_, activeTok, _ := m.Issue(ctx, id, []session.AuthenticationMethod{{Method: "password"}}, session.Device{})
	if err := st.RevokeSession(ctx, id.ID, revoked.ID); err != nil {
		t.Fatal(err)
	}
	var got error
	h := m.AdoptKratosCookies(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, got = m.FromRequest(r.Context(), r)
	}))
	for _, tc := range []struct {
		name  string
		token string
		want  error
	}{{"revoked", revokedTok, session.ErrNoActiveSession}, {"active", activeTok, nil}} {
		t.Run(tc.name, func(t *testing.T) {
			for range 3 {
				before := cs.byToken.Load()
				r := httptest.NewRequest("GET", "/sessions/whoami", nil)
				r.Header.Set("Cookie", "ory_kratos_session="+kratosCookie(t, secret, tc.token))
				h.ServeHTTP(httptest.NewRecorder(), r)
				if got != tc.want {
					t.Fatalf("handler's session lookup: %v, want %v", got, tc.want)
				}
				if n := cs.byToken.Load() - before; tc.want != nil && n != 1 {
					t.Fatalf("%d session lookups for one request with a revoked session's Kratos cookie, want 1", n)
				}
			}
		})
	}
}
