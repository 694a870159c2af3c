package flow

import (
	"encoding/base64"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/portico-auth/portico/internal/apierr"
)

const publicBase = "http://127.0.0.1:4433/"

// browser obtains a cookie and a token the way a browser's first flow does.
func browser(t *testing.T, c *CSRF) (*http.Cookie, string) {
	t.Helper()
	w := httptest.NewRecorder()
	token := c.Token(w, httptest.NewRequest("GET", "/self-service/login/browser", nil))
	cookies := w.Result().Cookies()
	if len(cookies) != 1 {
		t.Fatalf("got %d cookies, want 1", len(cookies))
	}
	return cookies[0], token
}

func TestCSRFCookieName(t *testing.T) {
	// The name recorded from Kratos, whose public URL was "http://127.0.0.1:34433/".
	want := "csrf_token_ba6100644a89da8cd37e29b3a3c96af34898465210f85b2660c541e25bf84921"
	if got := CSRFCookieName("http://127.0.0.1:34433/"); got != want {
		t.Errorf("CSRFCookieName = %s, want %s", got, want)
	}
}

func TestCSRFCookieAttributes(t *testing.T) {
	c := NewCSRF(publicBase, "example.test", false)
	ck, token := browser(t, c)
	if ck.Name != c.CookieName || ck.Path != "/" || ck.MaxAge != 31536000 || !ck.HttpOnly ||
		ck.SameSite != http.SameSiteLaxMode || ck.Secure || ck.Domain != "example.test" {
		t.Errorf("cookie = %+v", ck)
	}
	if s, err := base64.StdEncoding.DecodeString(ck.Value); err != nil || len(s) != 32 {
		t.Errorf("cookie value %q is not 32 base64 bytes", ck.Value)
	}
	if len(token) != 88 {
		t.Errorf("token %q has %d chars, want 88", token, len(token))
	}
	secure, _ := browser(t, NewCSRF("https://id.example/", "", true))
	if !secure.Secure {
		t.Error("secure cookie not marked Secure")
	}
}

func TestCSRFVerify(t *testing.T) {
	c := NewCSRF(publicBase, "", false)
	ck, token := browser(t, c)
	other, otherToken := browser(t, c)

	// a second flow in the same browser shows a different token of the same secret
	w := httptest.NewRecorder()
	r := httptest.NewRequest("GET", "/", nil)
	r.AddCookie(ck)
	token2 := c.Token(w, r)
	if token2 == token {
		t.Error("two flows got the same masked token")
	}

	tests := []struct {
		name      string
		cookie    *http.Cookie
		forwarded string // a Cookie header set by a server-side app
		token     string
		ok        bool
	}{
		{"round trip", ck, "", token, true},
		{"second token", ck, "", token2, true},
		{"forwarded cookie header", nil, ck.Name + "=" + ck.Value + "; other=1", token, true},
		{"other browser's token", ck, "", otherToken, false},
		{"other browser's cookie", other, "", token, false},
		{"missing cookie", nil, "", token, false},
		{"empty token", ck, "", "", false},
		{"cookie value as token", ck, "", ck.Value, false},
		{"garbage token", ck, "", strings.Repeat("A", 87) + "!", false},
		{"truncated token", ck, "", token[:84], false},
		{"malformed cookie", &http.Cookie{Name: ck.Name, Value: "bm9wZQ=="}, "", token, false},
		{"url-safe alphabet", ck, "", strings.NewReplacer("+", "-", "/", "_").Replace(token), strings.IndexAny(token, "+/") < 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest("POST", "/self-service/login?flow=x", nil)
			if tt.cookie != nil {
				r.AddCookie(tt.cookie)
			}
			if tt.forwarded != "" {
				r.Header.Set("Cookie", tt.forwarded)
			}
			err := c.Verify(r, tt.token)
			if tt.ok {
				if err != nil {
					t.Errorf("Verify = %v, want nil", err)
				}
				return
			}
			var ae *apierr.Error
			if !errors.As(err, &ae) || ae.Code != 403 || ae.ID != "security_csrf_violation" {
				t.Errorf("Verify = %v, want 403 security_csrf_violation", err)
			}
		})
	}
}

func TestCSRFCookieSetOnlyWhenMissing(t *testing.T) {
	c := NewCSRF(publicBase, "", false)
	ck, _ := browser(t, c)

	// a browser holding a valid cookie gets no new one
	w := httptest.NewRecorder()
	r := httptest.NewRequest("GET", "/", nil)
	r.AddCookie(ck)
	c.Token(w, r)
	if n := len(w.Result().Cookies()); n != 0 {
		t.Errorf("cookie re-set for a browser that holds one (%d Set-Cookie)", n)
	}

	// several tokens in one response share one new cookie
	w = httptest.NewRecorder()
	r = httptest.NewRequest("GET", "/", nil)
	t1, t2 := c.Token(w, r), c.Token(w, r)
	cookies := w.Result().Cookies()
	if len(cookies) != 1 {
		t.Fatalf("got %d Set-Cookie in one response, want 1", len(cookies))
	}
	for _, tok := range []string{t1, t2} {
		v := httptest.NewRequest("POST", "/", nil)
		v.AddCookie(cookies[0])
		if err := c.Verify(v, tok); err != nil {
			t.Errorf("token of the same response rejected: %v", err)
		}
	}

	// an invalid cookie is replaced
	w = httptest.NewRecorder()
	r = httptest.NewRequest("GET", "/", nil)
	r.AddCookie(&http.Cookie{Name: c.CookieName, Value: "junk"})
	c.Token(w, r)
	if n := len(w.Result().Cookies()); n != 1 {
		t.Errorf("invalid cookie not replaced (%d Set-Cookie)", n)
	}
}

func TestCSRFVerifyFlow(t *testing.T) {
	c := NewCSRF(publicBase, "", false)
	r := httptest.NewRequest("POST", "/", nil)
	r.Header.Set("X-Session-Token", "tok")
	if err := c.VerifyFlow(r, TypeAPI, ""); err != nil {
		t.Errorf("api flow: %v", err)
	}
	if err := c.VerifyFlow(r, TypeBrowser, ""); err == nil {
		t.Error("browser flow with a session token and no cookie must be a CSRF violation")
	}
}

func FuzzCSRFUnmask(f *testing.F) {
	c := NewCSRF(publicBase, "", false)
	secret := make([]byte, 32)
	for i := range secret {
		secret[i] = byte(i)
	}
	f.Add(c.mask(secret))
	f.Add("")
	f.Add(strings.Repeat("A", 88))
	f.Add(strings.Repeat("=", 88))
	f.Add(strings.Repeat("A", 86) + "==")
	f.Add(base64.StdEncoding.EncodeToString(make([]byte, 63)))
	f.Add(base64.RawStdEncoding.EncodeToString(make([]byte, 64)))
	f.Fuzz(func(t *testing.T, token string) {
		got, err := Unmask(token)
		if err != nil {
			if got != nil {
				t.Fatal("secret returned with an error")
			}
			return
		}
		if len(got) != 32 {
			t.Fatalf("unmasked %d bytes", len(got))
		}
		// Whatever unmasks must also be accepted by Verify with that secret as cookie, and
		// nothing else.
		r := httptest.NewRequest("POST", "/", nil)
		r.AddCookie(&http.Cookie{Name: c.CookieName, Value: base64.StdEncoding.EncodeToString(got)})
		if err := c.Verify(r, token); err != nil {
			t.Fatalf("Verify rejected a well-formed token: %v", err)
		}
	})
}
