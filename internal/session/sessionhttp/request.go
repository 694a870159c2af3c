package sessionhttp

import (
	"context"
	"net"
	"net/http"
	"net/url"
	"strings"

	"github.com/portico-auth/portico/internal/apierr"
	"github.com/portico-auth/portico/internal/session"
)

// TokenFromRequest finds the session token: the X-Session-Token header, an Authorization
// Bearer token, or the session cookie (also when a server-side app forwards the Cookie header).
func (s *Sessions) TokenFromRequest(r *http.Request) string {
	if t := strings.TrimSpace(r.Header.Get("X-Session-Token")); t != "" {
		return t
	}
	if a := r.Header.Get("Authorization"); len(a) > 7 && strings.EqualFold(a[:7], "bearer ") {
		if t := strings.TrimSpace(a[7:]); t != "" {
			return t
		}
	}
	if c, err := r.Cookie(s.opts.CookieName); err == nil && c.Value != "" {
		return c.Value
	}
	return ""
}

// FromRequest returns the active session the request carries, with its identity. No token,
// an unknown, expired or revoked one, or an inactive identity is session.ErrNoActiveSession; a
// failing database is returned as the store's error, never as a 401.
func (s *Sessions) FromRequest(ctx context.Context, r *http.Request) (*session.Session, error) {
	token := s.TokenFromRequest(r)
	if token == "" || knownInactive(ctx, token) || knownInactive(r.Context(), token) {
		return nil, session.ErrNoActiveSession
	}
	return s.FromToken(ctx, token)
}

// Authorize is the one authorisation rule of every public route that acts on the caller's
// session: the request must carry an active session (else session.ErrNoActiveSession, a 401)
// and the session must meet required ("aal1", "aal2" or "highest_available"; see RequireAAL).
// Routes that must work at any level — signing out, stepping up — ask for "aal1".
func (s *Sessions) Authorize(ctx context.Context, r *http.Request, required, returnTo string) (*session.Session, error) {
	sess, err := s.FromRequest(ctx, r)
	if err != nil {
		return nil, err
	}
	if err := s.RequireAAL(sess, required, returnTo); err != nil {
		return nil, err
	}
	return sess, nil
}

// RequireAAL is session.Manager.CheckAAL with the way out for a browser: a shortfall (403
// session_aal2_required) points to the aal2 login, with return_to when given; a session that
// must enrol a second factor first points to the settings flow instead (EnrolURL).
func (s *Sessions) RequireAAL(sess *session.Session, required, returnTo string) error {
	err := s.CheckAAL(sess, required)
	if err == nil {
		return nil
	}
	to := Aal2LoginURL(s.opts.PublicBaseURL, returnTo)
	if s.MustEnrol(sess) {
		to = EnrolURL(s.opts.PublicBaseURL, returnTo)
	}
	return apierr.From(err).WithDetail("redirect_browser_to", to).WithRedirect(to)
}

// Aal2LoginURL is where a browser steps up to aal2: the browser login at aal=aal2.
func Aal2LoginURL(publicBaseURL, returnTo string) string {
	q := url.Values{"aal": {"aal2"}}
	if returnTo != "" {
		q.Set("return_to", returnTo)
	}
	return strings.TrimRight(publicBaseURL, "/") + "/self-service/login/browser?" + q.Encode()
}

// EnrolURL is where a browser enrols the second factor forced enrolment asks for: a new
// browser settings flow, which then offers only the enrolment, with return_to when given.
func EnrolURL(publicBaseURL, returnTo string) string {
	u := strings.TrimRight(publicBaseURL, "/") + "/self-service/settings/browser"
	if returnTo != "" {
		u += "?" + url.Values{"return_to": {returnTo}}.Encode()
	}
	return u
}

// DeviceFromRequest describes the device a request comes from: the client IP (RemoteAddr
// without its port) and the User-Agent.
func DeviceFromRequest(r *http.Request) session.Device {
	ip := r.RemoteAddr
	if host, _, err := net.SplitHostPort(ip); err == nil {
		ip = host
	}
	return session.Device{IPAddress: ip, UserAgent: r.UserAgent()}
}
