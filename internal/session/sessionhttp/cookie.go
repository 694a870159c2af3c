package sessionhttp

import (
	"net/http"
	"time"
)

// SetCookie writes the session cookie carrying token. A persistent cookie lives until
// expiresAt; otherwise it is a browser-session cookie.
func (s *Sessions) SetCookie(w http.ResponseWriter, token string, expiresAt time.Time) {
	c := s.cookie(token)
	if s.opts.CookiePersistent {
		c.Expires = expiresAt.UTC()
		c.MaxAge = max(int(expiresAt.Sub(s.Now()).Seconds()), 1)
	}
	http.SetCookie(w, c)
}

// ClearCookie tells the browser to drop the session cookie.
func (s *Sessions) ClearCookie(w http.ResponseWriter) {
	c := s.cookie("")
	c.MaxAge = -1
	c.Expires = time.Unix(0, 0)
	http.SetCookie(w, c)
}

func (s *Sessions) cookie(value string) *http.Cookie {
	return &http.Cookie{
		Name:     s.opts.CookieName,
		Value:    value,
		Path:     s.opts.CookiePath,
		Domain:   s.opts.CookieDomain,
		HttpOnly: true,
		Secure:   s.opts.Secure,
		SameSite: s.opts.SameSite,
	}
}
