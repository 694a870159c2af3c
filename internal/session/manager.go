package session

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"

	"github.com/portico-auth/portico/internal/apierr"
	"github.com/portico-auth/portico/internal/audit"
	"github.com/portico-auth/portico/internal/identity"
)

// Store is what the Manager needs from persistence: store.Store satisfies it, and its
// documentation states the rule the two writers keep (a session that is no longer live is
// never written, so never revived).
type Store interface {
	CreateSessionCapped(ctx context.Context, s *Session, max int) (int, error)
	GetSessionByToken(ctx context.Context, tokenHash []byte) (*Session, error)
	GetSession(ctx context.Context, id uuid.UUID) (*Session, error)
	RecordSessionAuthentication(ctx context.Context, s *Session, now time.Time) error
	ExtendSession(ctx context.Context, id uuid.UUID, now, expiresAt time.Time) error
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
// Options for the booleans); now is the clock (required: internal/server defaults it once).
func NewManager(store Store, opts Options, now func() time.Time) *Manager {
	return &Manager{store: store, opts: opts.withDefaults(), Now: now}
}

// Options returns the options in effect.
func (m *Manager) Options() Options { return m.opts }

func (m *Manager) now() time.Time { return m.Now().UTC() }

// Issue creates and stores a session for ident after the given methods were completed, used
// from device, and returns it with its token (shown once, never stored).
func (m *Manager) Issue(ctx context.Context, ident *identity.Identity, methods []AuthenticationMethod, device Device) (*Session, string, error) {
	s, token, err := m.Prepare(ident, methods, device)
	if err != nil {
		return nil, "", err
	}
	if err := m.Store(ctx, s); err != nil {
		return nil, "", err
	}
	return s, token, nil
}

// Prepare builds the session Issue would store, with its token, without storing it: a flow
// shows it to the web hooks it waits for (Kratos's ctx.session) before it is written, then
// stores it with Store, or drops it when a hook refuses.
func (m *Manager) Prepare(ident *identity.Identity, methods []AuthenticationMethod, device Device) (*Session, string, error) {
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
	return &Session{
		ID:                    uuid.New(),
		Active:                true,
		ExpiresAt:             now.Add(m.opts.Lifespan),
		AuthenticatedAt:       now,
		IssuedAt:              now,
		AAL:                   LevelOf(ms),
		AuthenticationMethods: ms,
		Identity:              ident,
		IdentityID:            ident.ID,
		Devices:               []Device{device},
		TokenHash:             hash,
	}, token, nil
}

// Store writes s, a session Prepare built.
func (m *Manager) Store(ctx context.Context, s *Session) error {
	// The identity's oldest live sessions past the cap are revoked in the same transaction,
	// with one audit event telling how many (none when the cap ended none).
	if m.opts.MaxPerIdentity > 0 {
		var device Device
		if len(s.Devices) > 0 {
			device = s.Devices[0]
		}
		ctx = capAudited(ctx, s, device, m.now)
	}
	if _, err := m.store.CreateSessionCapped(ctx, s, m.opts.MaxPerIdentity); err != nil {
		return fmt.Errorf("create session: %w", err)
	}
	return nil
}

// Preview is s as it will be once method is recorded by AddMethod (a refresh or a step-up),
// as a copy: nothing is stored. The web hooks a login waits for see it.
func (m *Manager) Preview(s *Session, method AuthenticationMethod) *Session {
	c := *s
	methodAdderAt(method, m.now())(&c)
	return &c
}

// AddMethod records a further completed method (an aal2 step-up), raises the session's AAL
// accordingly and counts the session as authenticated now. A session revoked or expired in
// the meantime is ErrNoActiveSession and stays revoked.
func (m *Manager) AddMethod(ctx context.Context, s *Session, method AuthenticationMethod) error {
	now := m.now()
	return m.recordAuthentication(ctx, s, now, "add session method", methodAdderAt(method, now))
}

// methodAdderAt is what AddMethod (and Preview) does to a session at now: it records method
// (completed now unless it says when), raises the AAL and counts the session as authenticated.
func methodAdderAt(method AuthenticationMethod, now time.Time) func(*Session) {
	method.AAL = methodAAL(method)
	if method.CompletedAt.IsZero() {
		method.CompletedAt = now
	}
	return func(c *Session) {
		c.AuthenticationMethods = recordMethod(c.AuthenticationMethods, method)
		c.AAL = LevelOf(c.AuthenticationMethods)
		c.AuthenticatedAt = now
	}
}

// recordMethod adds method to methods; a method already listed at the same level is moved
// to the end with its new completion time instead, so a session's list stays bounded however
// often it is refreshed or stepped up.
func recordMethod(methods []AuthenticationMethod, method AuthenticationMethod) []AuthenticationMethod {
	out := methods[:0:0]
	for _, m := range methods {
		if m.Method != method.Method || methodAAL(m) != methodAAL(method) {
			out = append(out, m)
		}
	}
	return append(out, method)
}

// Upgrade is AddMethod under the name the login flow uses for an aal2 step-up.
func (m *Manager) Upgrade(ctx context.Context, s *Session, method AuthenticationMethod) error {
	return m.AddMethod(ctx, s, method)
}

// Refresh records a refresh login with method: the method is completed now (see Privileged)
// and the session counts as authenticated now. A session revoked or expired in the meantime
// is ErrNoActiveSession.
func (m *Manager) Refresh(ctx context.Context, s *Session, method AuthenticationMethod) error {
	return m.AddMethod(ctx, s, method)
}

// maxRecordAttempts bounds the re-reads when other authentications of the same session are
// recorded concurrently: an attempt loses only to one that succeeded, so this many concurrent
// authentications of one session all land; more than that is no user's doing, and the
// losers get a conflict rather than a lost update.
const maxRecordAttempts = 10

// recordAuthentication applies change to a copy of s and stores it over the version s was
// read at; when another authentication was recorded since, it reads the session again and
// reapplies change, so neither is lost. s takes the stored state on success only.
func (m *Manager) recordAuthentication(ctx context.Context, s *Session, now time.Time, what string, change func(*Session)) error {
	cur := *s
	for attempt := 1; ; attempt++ {
		next := cur
		next.AuthenticationMethods = append([]AuthenticationMethod(nil), cur.AuthenticationMethods...)
		change(&next)
		err := m.store.RecordSessionAuthentication(ctx, &next, now)
		if err == nil {
			s.AuthenticationMethods, s.AAL, s.AuthenticatedAt, s.Version =
				next.AuthenticationMethods, next.AAL, next.AuthenticatedAt, next.Version
			return nil
		}
		if errors.Is(err, apierr.ErrNotFound) {
			// Revoked, expired or deleted since the request found it: the caller no longer
			// holds a session, exactly as if it had arrived a moment later.
			return ErrNoActiveSession
		}
		if !errors.Is(err, apierr.ErrConflict) || attempt == maxRecordAttempts {
			return fmt.Errorf("%s: %w", what, err)
		}
		fresh, err := m.store.GetSession(ctx, s.ID)
		if errors.Is(err, apierr.ErrNotFound) {
			return ErrNoActiveSession
		}
		if err != nil {
			return fmt.Errorf("%s: %w", what, err)
		}
		cur.AuthenticationMethods, cur.AAL, cur.AuthenticatedAt, cur.Version =
			fresh.AuthenticationMethods, fresh.AAL, fresh.AuthenticatedAt, fresh.Version
	}
}

// CanExtend reports whether s may be extended now: when EarliestPossibleExtend is zero
// always, otherwise only once s expires within that window.
func (m *Manager) CanExtend(s *Session) bool {
	w := m.opts.EarliestPossibleExtend
	return w <= 0 || s.ExpiresAt.Sub(m.now()) <= w
}

// Extend gives s a full lifespan from now when CanExtend allows it and reports whether it
// did; otherwise s is left as it is. A session that is revoked or expired, or whose identity
// is not active, is never extended: ErrInactive (also when that happens between the read of s
// and the write, which the store's condition decides).
func (m *Manager) Extend(ctx context.Context, s *Session) (bool, error) {
	now := m.now()
	if !s.IsActive(now) || (s.Identity != nil && s.Identity.State != "" && s.Identity.State != identity.StateActive) {
		return false, ErrInactive
	}
	if !m.CanExtend(s) {
		return false, nil
	}
	expires := now.Add(m.opts.Lifespan).Truncate(time.Microsecond) // as stored
	if err := m.store.ExtendSession(ctx, s.ID, now, expires); err != nil {
		return false, fmt.Errorf("extend session: %w", err)
	}
	s.ExpiresAt = expires
	return true, nil
}

// capAudited returns ctx carrying the session_revoked event of the sessions that creating s
// ends past session.max_per_identity (audit.Revoked), written in the creating transaction;
// the address and user agent are those of the device that signed in.
func capAudited(ctx context.Context, s *Session, device Device, now func() time.Time) context.Context {
	ctx, revoked := audit.WithRevoked(ctx)
	return audit.WithFunc(ctx, func() []audit.Event {
		n := revoked.N()
		if n == 0 {
			return nil
		}
		ev := audit.New(audit.SessionRevoked, s.IdentityID, map[string]any{
			"by": audit.BySessionCap, "reason": audit.ReasonSessionCap, "count": n,
		}).WithSession(s.ID)
		ev.Address, ev.UserAgent, ev.Time = device.IPAddress, device.UserAgent, now()
		return []audit.Event{ev}
	})
}
