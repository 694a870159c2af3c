package kratosimport_test

import (
	"context"
	"crypto/sha256"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/gorilla/securecookie"
	"gopkg.in/yaml.v3"

	"github.com/portico-auth/portico/internal/apptest"
	"github.com/portico-auth/portico/internal/apptest/mfatest"
	"github.com/portico-auth/portico/internal/kratosimport"
)

// kratosCookieSecret is secrets.cookie of testdata/kratos.yml, the configuration of the Kratos
// that wrote the fixture and set erin's browser cookie.
func kratosCookieSecret(t *testing.T) string {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("testdata", "kratos.yml"))
	if err != nil {
		t.Fatal(err)
	}
	var kc struct {
		Secrets struct {
			Cookie []string `yaml:"cookie"`
		} `yaml:"secrets"`
	}
	if err := yaml.Unmarshal(raw, &kc); err != nil || len(kc.Secrets.Cookie) != 1 {
		t.Fatalf("testdata/kratos.yml secrets.cookie: %v %v", kc.Secrets.Cookie, err)
	}
	return kc.Secrets.Cookie[0]
}

// sessionCookie is the ory_kratos_session cookie a reply sets, or nil.
func sessionCookie(res *http.Response) *http.Cookie {
	for _, c := range res.Cookies() {
		if c.Name == "ory_kratos_session" {
			return c
		}
	}
	return nil
}

func whoamiCookie(t *testing.T, s *apptest.Server, value string) *apptest.Response {
	t.Helper()
	return s.SPA(t).Do(http.MethodGet, s.PublicURL("/sessions/whoami"), nil,
		http.Header{"Cookie": {"csrf_token_x=abc; ory_kratos_session=" + value}})
}

// tamper changes one character in the middle of a cookie value to another base64url one.
func tamper(v string) string {
	i := len(v) / 2
	c := byte('A')
	if v[i] == 'A' {
		c = 'B'
	}
	return v[:i] + string(c) + v[i+1:]
}

// TestKratosCookieCarriesOver imports the SQLite fixture with its sessions; the browser cookie
// Kratos set for erin then signs her in to a Portico configured with Kratos's cookie secret, and
// the reply swaps it for Portico's own cookie. A changed byte, a revoked session and a Portico
// without the secret are refused.
func TestKratosCookieCarriesOver(t *testing.T) {
	t.Parallel()
	fx := readFixture(t, "fixture-sqlite.json")
	var erinID, erinSession, erinToken, cookie, daveToken string
	for _, p := range fx.Identities {
		if p.BrowserCookie != nil {
			erinID, erinSession, erinToken, cookie = p.ID, p.Sessions[0].ID, p.Sessions[0].Token, p.BrowserCookie.Session
		}
		if p.LoginIdentifier == "dave@example.com" {
			daveToken = p.Sessions[0].Token
		}
	}
	if cookie == "" || daveToken == "" {
		t.Fatal("fixture: no browser cookie, or no revoked session of dave")
	}
	secret := kratosCookieSecret(t)
	from := sqliteSource(t)
	with := portico(t, "", apptest.WithEnv("SECRETS_KRATOS_COOKIE", "0123456789abcdef-rotated-later, "+secret))
	run(t, with, from, nil)
	without := portico(t, "")
	run(t, without, from, nil)

	// A cookie for dave's revoked session, signed as Kratos signs (the MAC is right).
	block := sha256.Sum256([]byte(secret))
	revoked, err := securecookie.New([]byte(secret), block[:]).Encode("ory_kratos_session",
		map[any]any{"session_token": daveToken, "expires_at": "2036-12-03T03:38:31Z", "nonce": "x"})
	if err != nil {
		t.Fatal(err)
	}

	for _, tt := range []struct {
		name   string
		s      *apptest.Server
		cookie string
		status int
	}{
		{"kratos cookie", with, cookie, http.StatusOK},
		{"one byte changed", with, tamper(cookie), http.StatusUnauthorized},
		{"cut short", with, cookie[:len(cookie)-8], http.StatusUnauthorized},
		{"revoked session", with, revoked, http.StatusUnauthorized},
		{"no kratos secret configured", without, cookie, http.StatusUnauthorized},
		{"portico's own cookie", with, erinToken, http.StatusOK},
	} {
		t.Run(tt.name, func(t *testing.T) {
			res := whoamiCookie(t, tt.s, tt.cookie)
			if res.StatusCode != tt.status {
				t.Fatalf("whoami: %d %s, want %d", res.StatusCode, res.Body, tt.status)
			}
			set := sessionCookie(res.Response)
			if tt.status != http.StatusOK {
				if set != nil && set.Value != "" {
					t.Fatalf("a refused cookie got a session cookie: %v", set)
				}
				return
			}
			m := res.Map(t)
			if mfatest.Str(m, "id") != erinSession || mfatest.Str(m, "identity", "id") != erinID {
				t.Fatalf("whoami is not erin's session %s: %s", erinSession, res.Body)
			}
			if tt.cookie == erinToken {
				if set != nil {
					t.Fatalf("Portico's own cookie was set again: %v", set)
				}
				return
			}
			if set == nil || set.Value != erinToken || !set.HttpOnly || set.Path != "/" || set.MaxAge <= 0 {
				t.Fatalf("Set-Cookie %v, want Portico's cookie with erin's token", set)
			}
			// The browser now holds Portico's cookie: the Kratos path is not taken again.
			again := whoamiCookie(t, tt.s, set.Value)
			if again.StatusCode != http.StatusOK || sessionCookie(again.Response) != nil {
				t.Fatalf("with the re-issued cookie: %d, Set-Cookie %v", again.StatusCode, sessionCookie(again.Response))
			}
		})
	}

	// Not only whoami: a browser app holding the Kratos cookie opens a settings flow as erin, and
	// its cookie jar then holds Portico's cookie.
	spa := with.SPA(t)
	public := apptest.URL(t, with.PublicURL("/"))
	spa.HTTP.Jar.SetCookies(public, []*http.Cookie{{Name: "ory_kratos_session", Value: cookie, Path: "/"}})
	res := spa.Get(with.PublicURL("/self-service/settings/browser"))
	if res.StatusCode != http.StatusOK || mfatest.Str(res.Map(t), "identity", "id") != erinID {
		t.Fatalf("settings flow with the Kratos cookie: %d %s", res.StatusCode, res.Body)
	}
	held := ""
	for _, c := range spa.HTTP.Jar.Cookies(public) {
		if c.Name == "ory_kratos_session" {
			held = c.Value
		}
	}
	if held != erinToken {
		t.Fatal("after the settings flow the browser does not hold Portico's cookie with erin's token")
	}
}

// TestKratosCookiesConcurrently sends 100 requests at once, half with erin's Kratos cookie and
// half with a forged one: each genuine one is signed in and given Portico's cookie, no forged
// one is.
func TestKratosCookiesConcurrently(t *testing.T) {
	t.Parallel()
	fx := readFixture(t, "fixture-sqlite.json")
	var cookie, token string
	for _, p := range fx.Identities {
		if p.BrowserCookie != nil {
			cookie, token = p.BrowserCookie.Session, p.Sessions[0].Token
		}
	}
	s := portico(t, "", apptest.WithEnv("SECRETS_KRATOS_COOKIE", kratosCookieSecret(t)))
	run(t, s, sqliteSource(t), nil)

	var wg sync.WaitGroup
	errs := make(chan string, 100)
	for i := range 100 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			value, want := cookie, http.StatusOK
			if i%2 == 1 {
				value, want = tamper(cookie), http.StatusUnauthorized
			}
			req, _ := http.NewRequestWithContext(context.Background(), http.MethodGet, s.PublicURL("/sessions/whoami"), nil)
			req.Header.Set("Accept", "application/json")
			req.Header.Set("Cookie", "ory_kratos_session="+value)
			res, err := http.DefaultClient.Do(req)
			if err != nil {
				errs <- err.Error()
				return
			}
			_ = res.Body.Close()
			set := sessionCookie(res)
			switch {
			case res.StatusCode != want:
				errs <- res.Status
			case want == http.StatusOK && (set == nil || set.Value != token):
				errs <- "no Portico cookie for the genuine Kratos cookie"
			case want != http.StatusOK && set != nil && set.Value != "":
				errs <- "a session cookie for a forged Kratos cookie"
			}
		}()
	}
	wg.Wait()
	close(errs)
	var all []string
	for e := range errs {
		all = append(all, e)
	}
	if len(all) > 0 {
		t.Fatalf("%d of 100 requests went wrong: %s", len(all), strings.Join(all, "; "))
	}
}

// TestImportReportsBrowserCookies: Kratos's secrets.cookie is read from its configuration, and
// the report of an import with sessions says whether browsers stay signed in, by comparing it
// with Portico's secrets.kratos_cookie, without showing either.
func TestImportReportsBrowserCookies(t *testing.T) {
	t.Parallel()
	kc, err := kratosimport.ReadKratosConfig(context.Background(), filepath.Join("testdata", "kratos.yml"))
	if err != nil {
		t.Fatal(err)
	}
	secret := kratosCookieSecret(t)
	if len(kc.CookieSecrets) != 1 || kc.CookieSecrets[0] != secret {
		t.Fatalf("Kratos's cookie secrets read: %d, want its one secrets.cookie", len(kc.CookieSecrets))
	}
	s := portico(t, "")
	from := sqliteSource(t)
	for _, tt := range []struct {
		name            string
		portico, kratos []string
		want            string
	}{
		{"no key", nil, kc.CookieSecrets, "browsers sign in again, unless Portico's secrets.kratos_cookie lists Kratos's secrets.cookie"},
		{"another key", []string{"some-other-secret-0123"}, kc.CookieSecrets, "secrets.kratos_cookie lacks 1 of the 1 secrets.cookie"},
		{"kratos's key", []string{"some-other-secret-0123", secret}, kc.CookieSecrets, "browsers keep their sessions too"},
		{"key, no kratos config", []string{secret}, nil, "browsers keep their sessions too"},
	} {
		rep := run(t, s, from, func(o *kratosimport.Options) {
			o.DryRun, o.BrowserCookieSecrets, o.KratosCookieSecrets = true, tt.portico, tt.kratos
		})
		notes := strings.Join(rep.Notes, "\n")
		if !strings.Contains(notes, tt.want) || strings.Contains(notes, secret) {
			t.Errorf("%s: notes %q, want %q (and no secret)", tt.name, notes, tt.want)
		}
	}
}
