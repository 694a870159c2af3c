// Package sessiontest holds an in-memory store of sessions and identities for tests of the
// session packages. It keeps the store package's contract (ErrNotFound, newest first,
// opaque page tokens) but none of its durability.
package sessiontest

import (
	"bytes"
	"context"
	"sort"
	"strconv"
	"sync"
	"time"

	"github.com/google/uuid"

	"github.com/portico-auth/portico/internal/apierr"
	"github.com/portico-auth/portico/internal/identity"
	"github.com/portico-auth/portico/internal/session"
	"github.com/portico-auth/portico/internal/store"
)

// MemStore is an in-memory store.Sessions with the identity calls the session code needs.
// Err, when set, is returned by every call (a database that is down).
type MemStore struct {
	mu         sync.Mutex
	sessions   []*session.Session
	identities map[uuid.UUID]*identity.Identity
	Err        error
}

var _ store.Sessions = (*MemStore)(nil)

// NewMemStore returns an empty store.
func NewMemStore() *MemStore {
	return &MemStore{identities: map[uuid.UUID]*identity.Identity{}}
}

// CreateIdentity stores a copy of id, filling its ID when zero.
func (m *MemStore) CreateIdentity(_ context.Context, id *identity.Identity) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.Err != nil {
		return m.Err
	}
	if id.ID == uuid.Nil {
		id.ID = uuid.New()
	}
	if id.State == "" {
		id.State = identity.StateActive
	}
	c := *id
	m.identities[id.ID] = &c
	return nil
}

// GetIdentity returns a copy of the identity, without credential configs unless asked.
func (m *MemStore) GetIdentity(_ context.Context, id uuid.UUID, withCredentials bool) (*identity.Identity, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.Err != nil {
		return nil, m.Err
	}
	i, ok := m.identities[id]
	if !ok {
		return nil, apierr.ErrNotFound
	}
	if withCredentials {
		c := *i
		return &c, nil
	}
	return i.WithoutCredentialConfigs(), nil
}

func (m *MemStore) copyOut(s *session.Session) *session.Session {
	c := *s
	c.AuthenticationMethods = append([]session.AuthenticationMethod(nil), s.AuthenticationMethods...)
	c.Devices = append([]session.Device(nil), s.Devices...)
	if i, ok := m.identities[s.IdentityID]; ok {
		c.Identity = i.WithoutCredentialConfigs()
	}
	return &c
}

// CreateSession stores a copy of s.
func (m *MemStore) CreateSession(_ context.Context, s *session.Session) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.Err != nil {
		return m.Err
	}
	if s.ID == uuid.Nil {
		s.ID = uuid.New()
	}
	if s.Identity != nil && s.IdentityID == uuid.Nil {
		s.IdentityID = s.Identity.ID
	}
	m.sessions = append(m.sessions, m.copyOut(s))
	return nil
}

// GetSessionByToken finds a session by its token hash.
func (m *MemStore) GetSessionByToken(_ context.Context, hash []byte) (*session.Session, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.Err != nil {
		return nil, m.Err
	}
	for _, s := range m.sessions {
		if bytes.Equal(s.TokenHash, hash) {
			return m.copyOut(s), nil
		}
	}
	return nil, apierr.ErrNotFound
}

// GetSession finds a session by id.
func (m *MemStore) GetSession(_ context.Context, id uuid.UUID) (*session.Session, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.Err != nil {
		return nil, m.Err
	}
	for _, s := range m.sessions {
		if s.ID == id {
			return m.copyOut(s), nil
		}
	}
	return nil, apierr.ErrNotFound
}

// UpdateSession replaces the stored session's mutable fields.
func (m *MemStore) UpdateSession(_ context.Context, s *session.Session) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.Err != nil {
		return m.Err
	}
	for i, old := range m.sessions {
		if old.ID == s.ID {
			c := m.copyOut(s)
			c.TokenHash = old.TokenHash
			m.sessions[i] = c
			return nil
		}
	}
	return apierr.ErrNotFound
}

// ListSessions lists newest first; the page token is the offset.
func (m *MemStore) ListSessions(_ context.Context, identityID uuid.UUID, active *bool, p store.ListParams) ([]*session.Session, string, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.Err != nil {
		return nil, "", m.Err
	}
	var all []*session.Session
	for i := len(m.sessions) - 1; i >= 0; i-- {
		s := m.sessions[i]
		if identityID != uuid.Nil && s.IdentityID != identityID {
			continue
		}
		if active != nil && s.Active != *active {
			continue
		}
		all = append(all, m.copyOut(s))
	}
	sort.SliceStable(all, func(i, j int) bool { return all[i].IssuedAt.After(all[j].IssuedAt) })
	off := 0
	if p.PageToken != "" {
		n, err := strconv.Atoi(p.PageToken)
		if err != nil || n < 0 {
			return nil, "", apierr.ErrBadRequest.WithReason("invalid page token")
		}
		off = n
	}
	size := p.PageSize
	if size <= 0 {
		size = 250
	}
	if off > len(all) {
		off = len(all)
	}
	end := min(off+size, len(all))
	next := ""
	if end < len(all) {
		next = strconv.Itoa(end)
	}
	return all[off:end], next, nil
}

// RevokeSession deactivates one session (of identityID unless uuid.Nil).
func (m *MemStore) RevokeSession(_ context.Context, identityID, sessionID uuid.UUID) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.Err != nil {
		return m.Err
	}
	for _, s := range m.sessions {
		if s.ID == sessionID && (identityID == uuid.Nil || s.IdentityID == identityID) {
			s.Active = false
			return nil
		}
	}
	return apierr.ErrNotFound
}

// RevokeSessionsExcept deactivates the identity's active sessions except keep.
func (m *MemStore) RevokeSessionsExcept(_ context.Context, identityID, keep uuid.UUID) (int, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.Err != nil {
		return 0, m.Err
	}
	n := 0
	for _, s := range m.sessions {
		if s.IdentityID == identityID && s.ID != keep && s.Active {
			s.Active = false
			n++
		}
	}
	return n, nil
}

// DeleteSessionsExpiredBefore deletes up to limit sessions that expired before t.
func (m *MemStore) DeleteSessionsExpiredBefore(_ context.Context, t time.Time, limit int) (int, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.Err != nil {
		return 0, m.Err
	}
	kept := m.sessions[:0]
	n := 0
	for _, s := range m.sessions {
		if s.ExpiresAt.Before(t) && n < limit {
			n++
			continue
		}
		kept = append(kept, s)
	}
	m.sessions = kept
	return n, nil
}
