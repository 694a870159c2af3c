package session

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"

	"github.com/portico-auth/portico/internal/apierr"
	"github.com/portico-auth/portico/internal/identity"
)

// ErrNoActiveSession is Kratos's reply when a request carries no usable session, written
// wherever a route needs the caller's session (creating settings flows, signing out, the
// session list). Its body carries Kratos's top-level "CredentialsMissing" field. Kratos's
// source sets it for a request without any credential, but the reply recorded from Kratos
// master for exactly that request (kratosexamples settings-browser-ajax-401.json) says false,
// as it does for an unknown or expired token; Portico sends what Kratos was observed to send.
var ErrNoActiveSession = apierr.ErrUnauthorized.WithID("session_inactive").
	WithReason("No active session was found in this request.").
	WithMessage("request does not have a valid authentication session").
	WithCredentialsMissing(false)

// TokenFromRequest finds the session token: the X-Session-Token header, an Authorization
// Bearer token, or the session cookie (also when a server-side app forwards the Cookie header).
func (m *Manager) TokenFromRequest(r *http.Request) string {
	if t := strings.TrimSpace(r.Header.Get("X-Session-Token")); t != "" {
		return t
	}
	if a := r.Header.Get("Authorization"); len(a) > 7 && strings.EqualFold(a[:7], "bearer ") {
		if t := strings.TrimSpace(a[7:]); t != "" {
			return t
		}
	}
	if c, err := r.Cookie(m.opts.CookieName); err == nil && c.Value != "" {
		return c.Value
	}
	return ""
}

// FromRequest returns the active session the request carries, with its identity. No token,
// an unknown, expired or revoked one, or an inactive identity is ErrNoActiveSession; a
// failing database is returned as the store's error, never as a 401.
func (m *Manager) FromRequest(ctx context.Context, r *http.Request) (*Session, error) {
	token := m.TokenFromRequest(r)
	if token == "" {
		return nil, ErrNoActiveSession
	}
	return m.FromToken(ctx, token)
}

// Authorize is the one authorisation rule of every public route that acts on the caller's
// session: the request must carry an active session (else ErrNoActiveSession, a 401) and the
// session must meet required ("aal1", "aal2" or "highest_available"; see RequireAAL, a 403
// session_aal2_required pointing to the aal2 login with returnTo). Routes that must work at
// any level — signing out, stepping up — ask for "aal1".
func (m *Manager) Authorize(ctx context.Context, r *http.Request, required, returnTo string) (*Session, error) {
	s, err := m.FromRequest(ctx, r)
	if err != nil {
		return nil, err
	}
	if err := m.RequireAAL(s, required, returnTo); err != nil {
		return nil, err
	}
	return s, nil
}

// FromToken is FromRequest for a token already at hand.
func (m *Manager) FromToken(ctx context.Context, token string) (*Session, error) {
	s, err := m.store.GetSessionByToken(ctx, HashToken(token))
	if errors.Is(err, apierr.ErrNotFound) {
		return nil, ErrNoActiveSession
	}
	if err != nil {
		return nil, fmt.Errorf("find session: %w", err)
	}
	if !s.IsActive(m.now()) {
		return nil, ErrNoActiveSession
	}
	if s.Identity == nil {
		id, err := m.store.GetIdentity(ctx, s.IdentityID, false)
		if errors.Is(err, apierr.ErrNotFound) {
			return nil, ErrNoActiveSession
		}
		if err != nil {
			return nil, fmt.Errorf("find session identity: %w", err)
		}
		s.Identity = id
	}
	if s.Identity.State != "" && s.Identity.State != identity.StateActive {
		return nil, ErrNoActiveSession
	}
	return s, nil
}

// DeviceFromRequest describes the device a request comes from: the client IP (RemoteAddr
// without its port) and the User-Agent.
func DeviceFromRequest(r *http.Request) Device {
	ip := r.RemoteAddr
	if host, _, err := net.SplitHostPort(ip); err == nil {
		ip = host
	}
	return Device{IPAddress: ip, UserAgent: r.UserAgent()}
}
