package session_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/portico-auth/portico/internal/apierr"
	"github.com/portico-auth/portico/internal/identity"
	"github.com/portico-auth/portico/internal/session"
	"github.com/portico-auth/portico/internal/store/sqlstore"
	"github.com/portico-auth/portico/internal/store/sqlstore/sqlstoretest"
)

type clock struct{ t time.Time }

func (c *clock) Now() time.Time          { return c.t }
func (c *clock) Advance(d time.Duration) { c.t = c.t.Add(d) }

// setup runs the manager on the real store (a private in-memory SQLite database), so that
// these tests see the store's conditions, not a fake's.
func setup(t *testing.T, opts session.Options) (*session.Manager, *sqlstore.Store, *clock, *identity.Identity) {
	t.Helper()
	ctx := context.Background()
	st := sqlstoretest.Memory(t)
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
		{"password+totp", []session.AuthenticationMethod{{Method: "password"}, {Method: "totp", AAL: session.AAL2}}, session.AAL2},
		// The level is what the method states, never inferred from its name.
		{"unstated level", []session.AuthenticationMethod{{Method: "password"}, {Method: "totp"}}, session.AAL1},
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
	if err := m.Upgrade(ctx, s, session.AuthenticationMethod{Method: "totp", AAL: session.AAL2}); err != nil {
		t.Fatal(err)
	}
	got, _ := st.GetSessionByToken(ctx, session.HashToken(tok))
	if got.AAL != session.AAL2 || len(got.AuthenticationMethods) != 2 || !got.AuthenticatedAt.Equal(clk.t) {
		t.Fatalf("after step-up: %+v", got)
	}
	clk.Advance(time.Hour)
	if err := m.Refresh(ctx, got, session.AuthenticationMethod{Method: "password", AAL: session.AAL1}); err != nil {
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
		"refresh": func() error { return m.Refresh(ctx, s, session.AuthenticationMethod{Method: "password"}) },
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
