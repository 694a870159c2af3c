package sessionhttp

import (
	"context"
	"crypto/sha256"
	"errors"
	"net/http"
	"strings"

	"github.com/gorilla/securecookie"

	"github.com/portico-auth/portico/internal/session"
)

// Kratos's session cookie is a gorilla/sessions cookie: securecookie's
// base64url("<unix time>|<value>|<HMAC-SHA256>"), the MAC over "<cookie name>|<unix time>|<value>"
// keyed with a secrets.cookie entry as it is, the value base64url(IV || AES-256-CTR(gob of the
// session's values map)) keyed with the SHA-256 of that entry. The map holds "session_token" (the
// token Kratos stored), "expires_at" and "nonce". Checked against the cookie a real Kratos set
// (internal/kratosimport's TestKratosCookieCarriesOver).

// kratosCodecs are one securecookie codec per Kratos cookie secret, tried in order.
func kratosCodecs(secrets []string) []securecookie.Codec {
	var out []securecookie.Codec
	for _, s := range secrets {
		if s == "" {
			continue
		}
		block := sha256.Sum256([]byte(s))
		c := securecookie.New([]byte(s), block[:])
		// The session row's expiry and state decide, as for every token; Kratos's cookie age
		// (its session lifespan) need not be known here.
		c.MaxAge(0)
		out = append(out, c)
	}
	return out
}

// kratosToken is the session token inside a cookie value Kratos signed, or "" when value is not
// one (wrong MAC, another secret, malformed, longer than securecookie's 4,096 bytes). The MAC is
// checked, in constant time, before anything is decrypted or decoded.
func (s *Sessions) kratosToken(value string) string {
	if len(s.kratos) == 0 || value == "" || strings.HasPrefix(value, session.TokenPrefix) {
		return ""
	}
	var values map[any]any
	if err := securecookie.DecodeMulti(s.opts.CookieName, value, &values, s.kratos...); err != nil {
		return ""
	}
	token, _ := values["session_token"].(string)
	if !strings.HasPrefix(token, session.TokenPrefix) {
		return ""
	}
	return token
}

// AdoptKratosCookies lets a browser that still holds the session cookie Kratos set (before a move
// with `portico import kratos --sessions`) stay signed in: when the session cookie is not a
// Portico one but a cookie signed with one of Options.KratosCookieSecrets, next sees the token
// inside as the cookie's value, and, when that session is active, the reply sets Portico's own
// cookie, so each browser takes this path once. Any other cookie passes through unchanged (and is
// refused as before). Without Kratos secrets it is next.
func (s *Sessions) AdoptKratosCookies(next http.Handler) http.Handler {
	if len(s.kratos) == 0 {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := r.Cookie(s.opts.CookieName)
		if err != nil {
			next.ServeHTTP(w, r)
			return
		}
		token := s.kratosToken(c.Value)
		if token == "" {
			next.ServeHTTP(w, r)
			return
		}
		ctx := r.Context()
		sess, err := s.FromToken(ctx, token)
		if err == nil {
			s.SetCookie(w, token, sess.ExpiresAt)
		}
		if errors.Is(err, session.ErrNoActiveSession) {
			// A revoked, expired or unknown session: the browser keeps sending this cookie (it is
			// not replaced), so the handler is told the answer instead of looking it up again.
			ctx = context.WithValue(ctx, inactiveTokenKey{}, token)
		}
		// Even when the lookup failed (a revoked session, an outage) the handler sees the token,
		// so it answers as it would for Portico's own cookie (401, 503).
		r2 := withCookie(r.WithContext(ctx), s.opts.CookieName, token)
		next.ServeHTTP(w, r2)
		r.Pattern = r2.Pattern // the route the mux matched, for the request's log line and metric
	})
}

// inactiveTokenKey holds, on a request's context, the token of an adopted Kratos cookie whose
// session AdoptKratosCookies found not active: FromRequest answers ErrNoActiveSession for it
// without a second lookup.
type inactiveTokenKey struct{}

// knownInactive reports whether the request's token was found not active by AdoptKratosCookies.
func knownInactive(ctx context.Context, token string) bool {
	t, ok := ctx.Value(inactiveTokenKey{}).(string)
	return ok && t == token
}

// withCookie is a shallow copy of r whose cookie name (every one of that name) has value.
func withCookie(r *http.Request, name, value string) *http.Request {
	r2 := r.Clone(r.Context())
	r2.Header.Del("Cookie")
	parts := []string{(&http.Cookie{Name: name, Value: value}).String()}
	for _, c := range r.Cookies() {
		if c.Name != name {
			parts = append(parts, (&http.Cookie{Name: c.Name, Value: c.Value, Quoted: c.Quoted}).String())
		}
	}
	r2.Header.Set("Cookie", strings.Join(parts, "; "))
	return r2
}
