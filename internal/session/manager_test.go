package session_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/portico-auth/portico/internal/apierr"
	"github.com/portico-auth/portico/internal/identity"
	"github.com/portico-auth/portico/internal/session"
	"github.com/portico-auth/portico/internal/session/sessiontest"
)

type clock struct{ t time.Time }

func (c *clock) Now() time.Time          { return c.t }
func (c *clock) Advance(d time.Duration) { c.t = c.t.Add(d) }

func setup(t *testing.T, opts session.Options) (*session.Manager, *sessiontest.MemStore, *clock, *identity.Identity) {
	t.Helper()
	st := sessiontest.NewMemStore()
	clk := &clock{t: time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC)}
	id := &identity.Identity{SchemaID: "default", State: identity.StateActive, Traits: []byte(`{"email":"a@example.com"}`),
		Credentials: map[identity.CredentialsType]identity.Credentials{identity.CredentialsPassword: {Type: identity.CredentialsPassword}}}
	if err := st.CreateIdentity(context.Background(), id); err != nil {
		t.Fatal(err)
	}
	return session.NewManager(st, opts, clk.Now), st, clk, id
}

func password() []session.AuthenticationMethod {
	return []session.AuthenticationMethod{{Method: "password"}}
}

func TestTokens(t *testing.T) {
	a, ha, err := session.NewToken()
	if err != nil {
		t.Fatal(err)
	}
	b, _, _ := session.NewToken()
	if a == b || !strings.HasPrefix(a, "ory_st_") || len(a) != len("ory_st_")+43 {
		t.Fatalf("bad tokens %q %q", a, b)
	}
	if string(ha) != string(session.HashToken(a)) || len(ha) != 32 {
		t.Fatal("hash mismatch")
	}
	l, _, _ := session.NewLogoutToken()
	if !strings.HasPrefix(l, "ory_lo_") {
		t.Fatalf("logout token %q", l)
	}
}

func TestIssueAAL(t *testing.T) {
	tests := []struct {
		name    string
		methods []session.AuthenticationMethod
		want    session.AAL
	}{
		{"password", password(), session.AAL1},
		{"password+totp", []session.AuthenticationMethod{{Method: "password"}, {Method: "totp"}}, session.AAL2},
		{"passwordless webauthn", []session.AuthenticationMethod{{Method: "webauthn"}}, session.AAL1},
		{"webauthn second factor", []session.AuthenticationMethod{{Method: "password"}, {Method: "webauthn", AAL: session.AAL2}}, session.AAL2},
		{"none", nil, session.AAL0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, st, clk, id := setup(t, session.DefaultOptions())
			s, tok, err := m.Issue(context.Background(), id, tt.methods, session.Device{IPAddress: "10.0.0.1", UserAgent: "ua"})
			if err != nil {
				t.Fatal(err)
			}
			if s.AAL != tt.want {
				t.Errorf("aal = %s, want %s", s.AAL, tt.want)
			}
			if !s.AuthenticatedAt.Equal(clk.t) || !s.IssuedAt.Equal(clk.t) || !s.ExpiresAt.Equal(clk.t.Add(24*time.Hour)) {
				t.Errorf("times %v %v %v", s.AuthenticatedAt, s.IssuedAt, s.ExpiresAt)
			}
			for _, meth := range s.AuthenticationMethods {
				if meth.CompletedAt.IsZero() || meth.AAL == "" {
					t.Errorf("method not completed: %+v", meth)
				}
			}
			got, err := st.GetSessionByToken(context.Background(), session.HashToken(tok))
			if err != nil || got.ID != s.ID || len(got.Devices) != 1 || got.Devices[0].IPAddress != "10.0.0.1" {
				t.Fatalf("stored %+v, %v", got, err)
			}
		})
	}
}

func TestAddMethodAndRefresh(t *testing.T) {
	m, st, clk, id := setup(t, session.DefaultOptions())
	ctx := context.Background()
	s, tok, _ := m.Issue(ctx, id, password(), session.Device{})
	clk.Advance(time.Minute)
	if err := m.Upgrade(ctx, s, session.AuthenticationMethod{Method: "totp"}); err != nil {
		t.Fatal(err)
	}
	got, _ := st.GetSessionByToken(ctx, session.HashToken(tok))
	if got.AAL != session.AAL2 || len(got.AuthenticationMethods) != 2 || !got.AuthenticatedAt.Equal(clk.t) {
		t.Fatalf("after step-up: %+v", got)
	}
	clk.Advance(time.Hour)
	if err := m.Refresh(ctx, got); err != nil {
		t.Fatal(err)
	}
	got, _ = st.GetSessionByToken(ctx, session.HashToken(tok))
	if !got.AuthenticatedAt.Equal(clk.t) || got.AAL != session.AAL2 {
		t.Fatalf("after refresh: %+v", got)
	}
}

func TestExtendWindow(t *testing.T) {
	tests := []struct {
		name    string
		window  time.Duration
		advance time.Duration
		extend  bool
	}{
		{"no window always extends", 0, time.Minute, true},
		{"outside window", time.Hour, 22 * time.Hour, false},
		{"at window edge", time.Hour, 23 * time.Hour, true},
		{"inside window", time.Hour, 23*time.Hour + 30*time.Minute, true},
		{"already expired", time.Hour, 25 * time.Hour, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			opts := session.DefaultOptions()
			opts.EarliestPossibleExtend = tt.window
			m, _, clk, id := setup(t, opts)
			s, _, _ := m.Issue(context.Background(), id, password(), session.Device{})
			before := s.ExpiresAt
			clk.Advance(tt.advance)
			ok, err := m.Extend(context.Background(), s)
			if err != nil {
				t.Fatal(err)
			}
			if ok != tt.extend {
				t.Fatalf("extended = %v, want %v", ok, tt.extend)
			}
			want := before
			if tt.extend {
				want = clk.t.Add(24 * time.Hour)
			}
			if !s.ExpiresAt.Equal(want) {
				t.Fatalf("expires %v, want %v", s.ExpiresAt, want)
			}
		})
	}
}

func TestFromRequest(t *testing.T) {
	ctx := context.Background()
	m, st, clk, id := setup(t, session.DefaultOptions())
	s, tok, _ := m.Issue(ctx, id, password(), session.Device{})

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

	id.State = identity.StateInactive
	_ = st.CreateIdentity(ctx, id)
	inactive("identity inactive", req(map[string]string{"X-Session-Token": tok}))
	id.State = identity.StateActive
	_ = st.CreateIdentity(ctx, id)

	_ = st.RevokeSession(ctx, id.ID, s.ID)
	inactive("revoked", req(map[string]string{"X-Session-Token": tok}))

	st.Err = apierr.ErrUnavailable.WithCause(errors.New("db down"))
	_, err := m.FromRequest(ctx, req(map[string]string{"X-Session-Token": tok}))
	if apierr.From(err).Code != 503 {
		t.Errorf("database failure became %v", err)
	}
}

func TestDeviceFromRequest(t *testing.T) {
	r := httptest.NewRequest("GET", "/", nil)
	r.RemoteAddr = "192.0.2.7:5555"
	r.Header.Set("User-Agent", "curl/8")
	d := session.DeviceFromRequest(r)
	if d.IPAddress != "192.0.2.7" || d.UserAgent != "curl/8" {
		t.Fatalf("%+v", d)
	}
}

func TestRequireAAL(t *testing.T) {
	with2FA := &identity.Identity{Credentials: map[identity.CredentialsType]identity.Credentials{
		identity.CredentialsPassword: {}, identity.CredentialsTOTP: {}}}
	only1FA := &identity.Identity{Credentials: map[identity.CredentialsType]identity.Credentials{identity.CredentialsPassword: {}}}
	tests := []struct {
		name     string
		s        *session.Session
		required string
		denied   bool
	}{
		{"aal1 session, password only, highest", &session.Session{AAL: session.AAL1, Identity: only1FA}, "highest_available", false},
		{"aal1 session, has totp, highest", &session.Session{AAL: session.AAL1, Identity: with2FA}, "highest_available", true},
		{"aal2 session, has totp, highest", &session.Session{AAL: session.AAL2, Identity: with2FA}, "highest_available", false},
		{"aal1 session, has totp, aal1", &session.Session{AAL: session.AAL1, Identity: with2FA}, "aal1", false},
		{"aal1 session, aal2 required", &session.Session{AAL: session.AAL1, Identity: only1FA}, "aal2", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := session.RequireAAL(tt.s, tt.required, "http://127.0.0.1:4433/", "")
			if (err != nil) != tt.denied {
				t.Fatalf("err = %v", err)
			}
		})
	}
	err := session.RequireAAL(&session.Session{AAL: session.AAL1, Identity: with2FA}, "highest_available", "http://127.0.0.1:4433", "https://app.example/x?y=1")
	e := apierr.From(err)
	want := "http://127.0.0.1:4433/self-service/login/browser?aal=aal2&return_to=https%3A%2F%2Fapp.example%2Fx%3Fy%3D1"
	if e.Code != 403 || e.ID != "session_aal2_required" || e.RedirectBrowserTo != want || e.Details["redirect_browser_to"] != want ||
		e.Message != "Session does not fulfill the requested Authenticator Assurance Level" ||
		e.Reason != "An active session was found but it does not fulfill the requested Authenticator Assurance Level. Please verify yourself with a second factor to resolve this issue." {
		t.Fatalf("%+v", e)
	}
}

func TestCookies(t *testing.T) {
	tests := []struct {
		name       string
		opts       func(*session.Options)
		persistent bool
		secure     bool
		sameSite   http.SameSite
	}{
		{"defaults", func(*session.Options) {}, true, false, http.SameSiteLaxMode},
		{"session cookie", func(o *session.Options) { o.CookiePersistent = false }, false, false, http.SameSiteLaxMode},
		{"secure strict", func(o *session.Options) {
			o.Secure = true
			o.SameSite = http.SameSiteStrictMode
			o.CookieDomain = "example.com"
		}, true, true, http.SameSiteStrictMode},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := session.DefaultOptions()
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
