package session

import (
	"net/http"
	"time"
)

// SetCookie writes the session cookie carrying token. A persistent cookie lives until
// expiresAt; otherwise it is a browser-session cookie.
func (m *Manager) SetCookie(w http.ResponseWriter, token string, expiresAt time.Time) {
	c := m.cookie(token)
	if m.opts.CookiePersistent {
		c.Expires = expiresAt.UTC()
		c.MaxAge = max(int(expiresAt.Sub(m.now()).Seconds()), 1)
	}
	http.SetCookie(w, c)
}

// ClearCookie tells the browser to drop the session cookie.
func (m *Manager) ClearCookie(w http.ResponseWriter) {
	c := m.cookie("")
	c.MaxAge = -1
	c.Expires = time.Unix(0, 0)
	http.SetCookie(w, c)
}

func (m *Manager) cookie(value string) *http.Cookie {
	return &http.Cookie{
		Name:     m.opts.CookieName,
		Value:    value,
		Path:     m.opts.CookiePath,
		Domain:   m.opts.CookieDomain,
		HttpOnly: true,
		Secure:   m.opts.Secure,
		SameSite: m.opts.SameSite,
	}
}
