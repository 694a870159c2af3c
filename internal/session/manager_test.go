package session_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/portico-auth/portico/internal/apierr"
	"github.com/portico-auth/portico/internal/identity"
	"github.com/portico-auth/portico/internal/session"
	"github.com/portico-auth/portico/internal/store/sqlstore"
)

type clock struct{ t time.Time }

func (c *clock) Now() time.Time          { return c.t }
func (c *clock) Advance(d time.Duration) { c.t = c.t.Add(d) }

// setup runs the manager on the real store (a private in-memory SQLite database), so that
// these tests see the store's conditions, not a fake's.
func setup(t *testing.T, opts session.Options) (*session.Manager, *sqlstore.Store, *clock, *identity.Identity) {
	t.Helper()
	ctx := context.Background()
	st, err := sqlstore.Open(ctx, "memory")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	if err := st.MigrateUp(ctx, nil); err != nil {
		t.Fatal(err)
	}
	clk := &clock{t: time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC)}
	id := &identity.Identity{SchemaID: "default", State: identity.StateActive, Traits: []byte(`{"email":"a@example.com"}`),
		Credentials: map[identity.CredentialsType]identity.Credentials{identity.CredentialsPassword: {
			Type: identity.CredentialsPassword, Identifiers: []string{"a@example.com"}, Config: []byte(`{}`)}}}
	if err := st.CreateIdentity(ctx, id); err != nil {
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
		{"inside window, a second before expiry", time.Hour, 24*time.Hour - time.Second, true},
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
	d := session.DeviceFromRequest(r)
	if d.IPAddress != "192.0.2.7" || d.UserAgent != "curl/8" {
		t.Fatalf("%+v", d)
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

func TestWritesNeverReviveARevokedSession(t *testing.T) {
	ctx := context.Background()
	m, st, clk, id := setup(t, session.DefaultOptions())
	s, tok, _ := m.Issue(ctx, id, password(), session.Device{})
	if err := st.RevokeSession(ctx, id.ID, s.ID); err != nil {
		t.Fatal(err)
	}
	clk.Advance(time.Minute)
	// s is the copy a request read before the revocation.
	for name, write := range map[string]func() error{
		"upgrade": func() error { return m.Upgrade(ctx, s, session.AuthenticationMethod{Method: "totp"}) },
		"refresh": func() error { return m.Refresh(ctx, s) },
		"extend":  func() error { _, err := m.Extend(ctx, s); return err },
	} {
		err := write()
		if name == "extend" {
			if !session.IsInactive(err) {
				t.Errorf("%s: %v, want ErrInactive", name, err)
			}
		} else if e := apierr.From(err); e.Code != 401 || e.ID != "session_inactive" {
			t.Errorf("%s: %v, want session_inactive", name, err)
		}
		got, err := st.GetSessionByToken(ctx, session.HashToken(tok))
		if err != nil || got.Active || got.AAL != session.AAL1 || !got.ExpiresAt.Equal(s.ExpiresAt) {
			t.Fatalf("%s changed the revoked session: %+v %v", name, got, err)
		}
	}
}

func TestExtendRefusesExpiredAndInactiveIdentity(t *testing.T) {
	ctx := context.Background()
	m, st, clk, id := setup(t, session.DefaultOptions())
	s, _, _ := m.Issue(ctx, id, password(), session.Device{})
	clk.Advance(24 * time.Hour)
	if ok, err := m.Extend(ctx, s); ok || !session.IsInactive(err) {
		t.Fatalf("extend of an expired session: %v %v", ok, err)
	}
	clk.Advance(-24 * time.Hour)
	cur, _ := st.GetIdentity(ctx, id.ID, true)
	cur.State = identity.StateInactive
	if err := st.UpdateIdentity(ctx, cur); err != nil {
		t.Fatal(err)
	}
	fresh, _ := st.GetSession(ctx, s.ID)
	if ok, err := m.Extend(ctx, fresh); ok || !session.IsInactive(err) {
		t.Fatalf("extend for an inactive identity: %v %v", ok, err)
	}
	// The identity turned inactive after the session was read: the store's condition holds.
	s.Identity = fresh.Identity
	s.Identity.State = identity.StateActive
	if ok, err := m.Extend(ctx, s); ok || !session.IsInactive(err) {
		t.Fatalf("extend with a stale identity state: %v %v", ok, err)
	}
}

// Concurrent step-ups of one session each record their method: none overwrites another.
func TestConcurrentAddMethodLosesNothing(t *testing.T) {
	ctx := context.Background()
	m, st, _, id := setup(t, session.DefaultOptions())
	s, _, _ := m.Issue(ctx, id, password(), session.Device{})
	const n = 10
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := *s // each request read the session before any of them wrote
			errs[i] = m.AddMethod(ctx, &c, session.AuthenticationMethod{Method: fmt.Sprintf("m%d", i), AAL: session.AAL2})
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("add method %d: %v", i, err)
		}
	}
	got, err := st.GetSession(ctx, s.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(got.AuthenticationMethods) != n+1 || got.AAL != session.AAL2 {
		t.Fatalf("%d methods stored, want %d: %+v", len(got.AuthenticationMethods), n+1, got.AuthenticationMethods)
	}
}
