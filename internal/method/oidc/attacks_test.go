package oidc_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/portico-auth/portico/internal/apierr"
	"github.com/portico-auth/portico/internal/apptest"
	"github.com/portico-auth/portico/internal/method/oidc"
	"github.com/portico-auth/portico/internal/method/oidc/oidctest"
	"github.com/portico-auth/portico/internal/text"
)

// sentToErrorPage reports whether a browser reply is the 303 to the error UI.
func sentToErrorPage(g *rig, res *apptest.Response) bool {
	return res.StatusCode == http.StatusSeeOther && strings.HasPrefix(res.Header.Get("Location"), g.s.Config.FlowUIURL("error")+"?id=")
}

func TestCallbackStateAttacks(t *testing.T) {
	g := start(t)
	t.Run("unknown state", func(t *testing.T) {
		b := g.s.Browser(t)
		back := g.begin(t, b, "login")
		u := apptest.URL(t, back)
		q := u.Query()
		q.Set("state", "forged-"+q.Get("state"))
		u.RawQuery = q.Encode()
		if res := b.Get(u.String()); !sentToErrorPage(g, res) {
			t.Fatalf("forged state: %d %s", res.StatusCode, res.Header.Get("Location"))
		}
		// JSON callers get Kratos's error JSON, never a 500.
		res := b.Do(http.MethodGet, u.String(), nil, http.Header{"Accept": {"application/json"}})
		if res.StatusCode != http.StatusBadRequest {
			t.Fatalf("forged state (JSON): %d %s", res.StatusCode, res.Body)
		}
		if id, _ := g.whoami(t, b); id != "" {
			t.Fatal("signed in with a forged state")
		}
	})
	t.Run("no state, no code", func(t *testing.T) {
		b := g.s.Browser(t)
		for _, q := range []string{"", "?code=x", "?state=", "?state=" + strings.Repeat("a", 5000)} {
			if res := b.Get(g.s.PublicURL("/self-service/methods/oidc/callback/corp" + q)); !sentToErrorPage(g, res) {
				t.Errorf("%q: %d %s", q, res.StatusCode, res.Body)
			}
		}
		if res := b.Get(g.s.PublicURL("/self-service/methods/oidc/callback/nope?state=x")); res.StatusCode != http.StatusSeeOther {
			t.Errorf("unknown provider: %d %s", res.StatusCode, res.Body)
		}
	})
	t.Run("replayed callback", func(t *testing.T) {
		b := g.s.Browser(t)
		back := g.begin(t, b, "login")
		if res := b.Get(back); res.StatusCode != http.StatusSeeOther || strings.Contains(res.Header.Get("Location"), "error") {
			t.Fatalf("first callback: %d %s", res.StatusCode, res.Header.Get("Location"))
		}
		if res := b.Get(back); !sentToErrorPage(g, res) {
			t.Fatalf("replay: %d %s", res.StatusCode, res.Header.Get("Location"))
		}
	})
	t.Run("completed in another browser", func(t *testing.T) {
		victim := g.s.Browser(t)
		back := g.begin(t, victim, "login") // the attacker's own authorisation response…
		attacker := g.s.Browser(t)
		g.s.BrowserFlow(t, attacker, "login") // …opened in a browser with its own CSRF cookie
		if res := attacker.Get(back); !sentToErrorPage(g, res) {
			t.Fatalf("other browser: %d %s", res.StatusCode, res.Header.Get("Location"))
		}
		if id, _ := g.whoami(t, attacker); id != "" {
			t.Fatal("the other browser was signed in")
		}
		fresh := g.s.Browser(t) // a browser with no cookie at all
		if res := fresh.Get(back); !sentToErrorPage(g, res) {
			t.Fatalf("cookie-less browser: %d %s", res.StatusCode, res.Header.Get("Location"))
		}
		// The browser that started it can still finish it: the attempts consumed nothing.
		if res := victim.Get(back); res.StatusCode != http.StatusSeeOther || strings.Contains(res.Header.Get("Location"), "error") {
			t.Fatalf("owner after the attempts: %d %s", res.StatusCode, res.Header.Get("Location"))
		}
		if id, _ := g.whoami(t, victim); id == "" {
			t.Fatal("owner not signed in")
		}
	})
}

// TestConcurrentReplay: 100 simultaneous callbacks with the same state and code from the
// browser that started the flow; exactly one signs in.
func TestConcurrentReplay(t *testing.T) {
	g := start(t)
	b := g.s.Browser(t)
	back := g.begin(t, b, "registration")
	u, _ := url.Parse(g.s.Public.URL)
	cookies := b.HTTP.Jar.Cookies(u)
	var wg sync.WaitGroup
	var signedIn, refused, other atomic.Int32
	for range 100 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			jar, _ := cookiejar.New(nil)
			jar.SetCookies(u, cookies)
			c := &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
			res, err := c.Get(back)
			if err != nil {
				other.Add(1)
				return
			}
			res.Body.Close()
			loc := res.Header.Get("Location")
			switch {
			case res.StatusCode == http.StatusSeeOther && strings.HasPrefix(loc, g.s.Config.FlowUIURL("error")):
				refused.Add(1)
			case res.StatusCode == http.StatusSeeOther && len(res.Cookies()) > 0:
				signedIn.Add(1)
			default:
				other.Add(1)
			}
		}()
	}
	wg.Wait()
	if signedIn.Load() != 1 || refused.Load() != 99 {
		t.Fatalf("signed in %d, refused %d, other %d", signedIn.Load(), refused.Load(), other.Load())
	}
	if _, err := g.s.App.Store.FindByCredentialsIdentifier(context.Background(), oidc.CredentialsType, "corp:"+g.ada); err != nil {
		t.Fatalf("the identity: %v", err)
	}
}

// TestProviderFailures: a refusal at the provider and every hostile ID token become a message
// on the flow (the browser goes back to the flow's page), never a session, an identity or a
// 500.
func TestProviderFailures(t *testing.T) {
	for _, tc := range []struct {
		name   string
		tamper oidctest.Tamper
		deny   string
	}{
		{"provider refuses", oidctest.Honest, "access_denied"},
		{"bad ID-token signature", oidctest.BadSignature, ""},
		{"wrong nonce", oidctest.WrongNonce, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			g := start(t)
			g.op.SetTamper(tc.tamper)
			if tc.deny != "" {
				g.op.Deny(tc.deny)
			}
			for _, kind := range []string{"registration", "login"} {
				b := g.s.Browser(t)
				loc := g.backTo(t, b, kind, kind)
				if ids := g.flowMessages(t, b, kind, loc); len(ids) != 1 || ids[0] != text.ErrorValidationGeneric {
					t.Errorf("%s: messages %v", kind, ids)
				}
				if id, _ := g.whoami(t, b); id != "" {
					t.Fatalf("%s: signed in", kind)
				}
			}
			if _, err := g.s.App.Store.FindByCredentialsIdentifier(context.Background(), oidc.CredentialsType, "corp:"+g.ada); !errors.Is(err, apierr.ErrNotFound) {
				t.Fatalf("an identity was created (%v)", err)
			}
		})
	}
}

// TestExpiredFlow: a provider that sends the browser back after the flow expired starts a
// new flow with the "expired" message.
func TestExpiredFlow(t *testing.T) {
	for _, kind := range []string{"login", "registration"} {
		t.Run(kind, func(t *testing.T) {
			g := start(t)
			b := g.s.Browser(t)
			back := g.begin(t, b, kind)
			g.s.Clock.Advance(g.s.Config.FlowLifespan(kind) + time.Minute)
			res := b.Get(back)
			loc := res.Header.Get("Location")
			want := text.ErrorValidationLoginFlowExpired
			if kind == "registration" {
				want = text.ErrorValidationRegistrationFlowExpired
			}
			if ids := g.flowMessages(t, b, kind, loc); res.StatusCode != http.StatusSeeOther || len(ids) != 1 || ids[0] != want {
				t.Fatalf("expired: %d to %s, messages %v", res.StatusCode, loc, ids)
			}
			if id, _ := g.whoami(t, b); id != "" {
				t.Fatal("signed in on an expired flow")
			}
			// Much later the state itself is gone.
			back = g.begin(t, b, kind)
			g.s.Clock.Advance(3 * time.Hour)
			if res := b.Get(back); !sentToErrorPage(g, res) {
				t.Fatalf("long expired: %d %s", res.StatusCode, res.Header.Get("Location"))
			}
		})
	}
}
