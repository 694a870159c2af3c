package session

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"

	"github.com/portico-auth/portico/internal/identity"
)

// Store is what the Manager needs from persistence: store.Store satisfies it.
type Store interface {
	CreateSession(ctx context.Context, s *Session) error
	GetSessionByToken(ctx context.Context, tokenHash []byte) (*Session, error)
	UpdateSession(ctx context.Context, s *Session) error
	GetIdentity(ctx context.Context, id uuid.UUID, withCredentials bool) (*identity.Identity, error)
}

// Manager issues, finds, upgrades and extends sessions.
type Manager struct {
	store Store
	opts  Options
	// Now is the clock; tests replace it.
	Now func() time.Time
}

// NewManager returns a Manager over store. Zero-valued options get Kratos's defaults (see
// Options for the booleans); a nil now means time.Now.
func NewManager(store Store, opts Options, now func() time.Time) *Manager {
	if now == nil {
		now = time.Now
	}
	return &Manager{store: store, opts: opts.withDefaults(), Now: now}
}

// Options returns the options in effect.
func (m *Manager) Options() Options { return m.opts }

func (m *Manager) now() time.Time { return m.Now().UTC() }

// Issue creates and stores a session for ident after the given methods were completed, used
// from device, and returns it with its token (shown once, never stored).
func (m *Manager) Issue(ctx context.Context, ident *identity.Identity, methods []AuthenticationMethod, device Device) (*Session, string, error) {
	token, hash, err := NewToken()
	if err != nil {
		return nil, "", err
	}
	now := m.now()
	ms := make([]AuthenticationMethod, len(methods))
	for i, meth := range methods {
		meth.AAL = methodAAL(meth)
		if meth.CompletedAt.IsZero() {
			meth.CompletedAt = now
		}
		ms[i] = meth
	}
	if device.ID == uuid.Nil {
		device.ID = uuid.New()
	}
	s := &Session{
		ID:                    uuid.New(),
		Active:                true,
		ExpiresAt:             now.Add(m.opts.Lifespan),
		AuthenticatedAt:       now,
		IssuedAt:              now,
		AAL:                   computeAAL(ms),
		AuthenticationMethods: ms,
		Identity:              ident,
		IdentityID:            ident.ID,
		Devices:               []Device{device},
		TokenHash:             hash,
	}
	if err := m.store.CreateSession(ctx, s); err != nil {
		return nil, "", fmt.Errorf("create session: %w", err)
	}
	return s, token, nil
}

// AddMethod records a further completed method (an aal2 step-up), raises the session's AAL
// accordingly and counts the session as authenticated now.
func (m *Manager) AddMethod(ctx context.Context, s *Session, method AuthenticationMethod) error {
	now := m.now()
	method.AAL = methodAAL(method)
	if method.CompletedAt.IsZero() {
		method.CompletedAt = now
	}
	s.AuthenticationMethods = append(s.AuthenticationMethods, method)
	s.AAL = computeAAL(s.AuthenticationMethods)
	s.AuthenticatedAt = now
	if err := m.store.UpdateSession(ctx, s); err != nil {
		return fmt.Errorf("add session method: %w", err)
	}
	return nil
}

// Upgrade is AddMethod under the name the login flow uses for an aal2 step-up.
func (m *Manager) Upgrade(ctx context.Context, s *Session, method AuthenticationMethod) error {
	return m.AddMethod(ctx, s, method)
}

// Refresh marks the session as re-authenticated now (a refresh login), which renews its
// privileged window.
func (m *Manager) Refresh(ctx context.Context, s *Session) error {
	s.AuthenticatedAt = m.now()
	if err := m.store.UpdateSession(ctx, s); err != nil {
		return fmt.Errorf("refresh session: %w", err)
	}
	return nil
}

// CanExtend reports whether s may be extended now: when EarliestPossibleExtend is zero
// always, otherwise only once s expires within that window.
func (m *Manager) CanExtend(s *Session) bool {
	w := m.opts.EarliestPossibleExtend
	return w <= 0 || s.ExpiresAt.Sub(m.now()) <= w
}

// Extend gives s a full lifespan from now when CanExtend allows it and reports whether it
// did; otherwise s is left as it is.
func (m *Manager) Extend(ctx context.Context, s *Session) (bool, error) {
	if !m.CanExtend(s) {
		return false, nil
	}
	s.ExpiresAt = m.now().Add(m.opts.Lifespan)
	if err := m.store.UpdateSession(ctx, s); err != nil {
		return false, fmt.Errorf("extend session: %w", err)
	}
	return true, nil
}
