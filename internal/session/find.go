package session

import (
	"context"
	"errors"
	"fmt"

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

// FromToken returns the active session of token, with its identity. An unknown, expired or
// revoked token, or an inactive identity, is ErrNoActiveSession; a failing database is
// returned as the store's error, never as a 401.
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
