package flow

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"

	"github.com/portico-auth/portico/internal/apierr"
)

// ErrCSRF is the 403 security_csrf_violation error every failed CSRF check returns.
var ErrCSRF = apierr.ErrForbidden.WithID("security_csrf_violation").
	WithReason("Please retry the flow and optionally clear your cookies. The request was rejected to protect you from Cross-Site-Request-Forgery (CSRF) which could cause account takeover, leaking personal information, and other serious security issues.")

const (
	csrfSecretLen = 32
	csrfMaxAge    = 365 * 24 * 60 * 60
)

// CSRF protects browser flows with a double-submit token: the browser holds a random secret in
// an HttpOnly cookie, each flow shows a masked copy of it in its csrf_token node, and a
// submission must carry a token that unmasks to the cookie's secret. Masking with a fresh nonce
// makes every flow's token look different (no BREACH-style leak through compression).
type CSRF struct {
	// CookieName is csrf_token_<hex sha256 of the public base URL>; see NewCSRF.
	CookieName string
	Domain     string
	Secure     bool
	// Rand is the randomness source; nil means crypto/rand.
	Rand io.Reader
}

// NewCSRF returns the CSRF protection for the public base URL exactly as configured (e.g.
// "http://127.0.0.1:4433/"). secure should be false only in dev mode or on plain http.
func NewCSRF(publicBaseURL, domain string, secure bool) *CSRF {
	return &CSRF{CookieName: CSRFCookieName(publicBaseURL), Domain: domain, Secure: secure}
}

// CSRFCookieName is the CSRF cookie's name for a public base URL.
func CSRFCookieName(publicBaseURL string) string {
	sum := sha256.Sum256([]byte(publicBaseURL))
	return "csrf_token_" + hex.EncodeToString(sum[:])
}

func (c *CSRF) random(b []byte) {
	src := c.Rand
	if src == nil {
		src = rand.Reader
	}
	if _, err := io.ReadFull(src, b); err != nil {
		// crypto/rand does not fail on supported platforms; a broken source must not
		// silently produce predictable tokens.
		panic(fmt.Sprintf("csrf: read random: %v", err))
	}
}

// secret returns the secret the request's cookies hold, if it is well formed. Cookies from a
// Cookie header forwarded by a server-side app count like a browser's own.
func (c *CSRF) secret(r *http.Request) ([]byte, bool) {
	for _, ck := range r.CookiesNamed(c.CookieName) {
		if s, err := base64.StdEncoding.DecodeString(ck.Value); err == nil && len(s) == csrfSecretLen {
			return s, true
		}
	}
	return nil, false
}

// issued returns a secret already set on w by an earlier Token call in this request.
func (c *CSRF) issued(w http.ResponseWriter) ([]byte, bool) {
	for _, line := range w.Header().Values("Set-Cookie") {
		ck, err := http.ParseSetCookie(line)
		if err != nil || ck.Name != c.CookieName {
			continue
		}
		if s, err := base64.StdEncoding.DecodeString(ck.Value); err == nil && len(s) == csrfSecretLen {
			return s, true
		}
	}
	return nil, false
}

// Token returns a masked token for a browser flow's csrf_token node. It uses the secret in
// the request's cookie; when the request holds no valid one it creates a secret and sets the
// cookie on w (once per response, however often Token is called).
func (c *CSRF) Token(w http.ResponseWriter, r *http.Request) string {
	secret, ok := c.secret(r)
	if !ok {
		secret, ok = c.issued(w)
	}
	if !ok {
		secret = make([]byte, csrfSecretLen)
		c.random(secret)
		http.SetCookie(w, c.cookie(base64.StdEncoding.EncodeToString(secret)))
	}
	return c.mask(secret)
}

func (c *CSRF) cookie(value string) *http.Cookie {
	return &http.Cookie{
		Name:     c.CookieName,
		Value:    value,
		Path:     "/",
		Domain:   c.Domain,
		MaxAge:   csrfMaxAge,
		Secure:   c.Secure,
		HttpOnly: true,
		SameSite: http.SameSiteLaxMode,
	}
}

// mask returns base64(nonce || nonce XOR secret).
func (c *CSRF) mask(secret []byte) string {
	buf := make([]byte, 2*csrfSecretLen)
	c.random(buf[:csrfSecretLen])
	for i := range csrfSecretLen {
		buf[csrfSecretLen+i] = buf[i] ^ secret[i]
	}
	return base64.StdEncoding.EncodeToString(buf)
}

// Unmask recovers the secret from a masked token.
func Unmask(token string) ([]byte, error) {
	if len(token) != base64.StdEncoding.EncodedLen(2*csrfSecretLen) {
		return nil, errors.New("csrf token has the wrong length")
	}
	buf, err := base64.StdEncoding.Strict().DecodeString(token)
	if err != nil {
		return nil, fmt.Errorf("decode csrf token: %w", err)
	}
	if len(buf) != 2*csrfSecretLen {
		return nil, errors.New("csrf token has the wrong length")
	}
	secret := make([]byte, csrfSecretLen)
	for i := range csrfSecretLen {
		secret[i] = buf[i] ^ buf[csrfSecretLen+i]
	}
	return secret, nil
}

// Verify checks a submitted token against the request's cookie: a missing cookie, a malformed
// token or a token of another secret is ErrCSRF.
func (c *CSRF) Verify(r *http.Request, submitted string) error {
	secret, ok := c.secret(r)
	if !ok {
		return ErrCSRF.WithCause(errors.New("no csrf cookie"))
	}
	got, err := Unmask(submitted)
	if err != nil {
		return ErrCSRF.WithCause(err)
	}
	if subtle.ConstantTimeCompare(got, secret) != 1 {
		return ErrCSRF.WithCause(errors.New("csrf token does not match the cookie"))
	}
	return nil
}

// VerifyFlow is Verify for a submission to a flow of type t: API flows carry no CSRF token,
// so they pass only when no browser made the request (CheckAPIRequest); browser flows must
// carry one, even when the caller also sends a session token.
func (c *CSRF) VerifyFlow(r *http.Request, t Type, submitted string) error {
	if t == TypeAPI {
		return CheckAPIRequest(r)
	}
	return c.Verify(r, submitted)
}

var (
	// ErrCookieInAPIFlow rejects an API flow submitted with cookies (made by a browser).
	ErrCookieInAPIFlow = apierr.ErrBadRequest.
				WithReason(`The HTTP request carried a "Cookie" header, so it was sent by a browser, but the flow was started as an API flow. The request was blocked to prevent misuse such as CSRF; use a browser flow instead.`)
	// ErrOriginInAPIFlow rejects an API flow submitted from a browser's AJAX call.
	ErrOriginInAPIFlow = apierr.ErrBadRequest.
				WithReason(`The HTTP request carried an "Origin" header, so it was sent by a browser's AJAX call, but the flow was started as an API flow. The request was blocked to prevent misuse such as CSRF; use a browser flow instead.`)
)

// CheckAPIRequest rejects a submission to an API flow that a browser made: one carrying an
// Origin header or any cookie, as Kratos refuses them, so that a browser's ambient session
// cannot be used to skip the CSRF check that API flows do without.
func CheckAPIRequest(r *http.Request) error {
	if r.Header.Get("Origin") != "" {
		return ErrOriginInAPIFlow
	}
	if len(r.Cookies()) > 0 {
		return ErrCookieInAPIFlow
	}
	return nil
}
