// Package session holds the session model: who is signed in, how strongly (AAL) and by which
// methods, until when, and from which devices. Tokens are random and only their hashes are stored.
package session

import (
	"errors"
	"time"

	"github.com/google/uuid"

	"github.com/portico-auth/portico/internal/apierr"
	"github.com/portico-auth/portico/internal/identity"
)

// AAL is an authenticator assurance level.
type AAL string

// The levels Kratos knows.
const (
	AAL0 AAL = "aal0"
	AAL1 AAL = "aal1"
	AAL2 AAL = "aal2"
)

// AuthenticationMethod records one completed authentication step.
type AuthenticationMethod struct {
	Method      string    `json:"method"`
	AAL         AAL       `json:"aal"`
	CompletedAt time.Time `json:"completed_at"`
}

// Device is a device the session was used from.
type Device struct {
	ID        uuid.UUID `json:"id"`
	IPAddress string    `json:"ip_address"`
	UserAgent string    `json:"user_agent"`
	Location  string    `json:"location"`
}

// Session is an authenticated session.
type Session struct {
	ID                    uuid.UUID              `json:"id"`
	Active                bool                   `json:"active"`
	ExpiresAt             time.Time              `json:"expires_at"`
	AuthenticatedAt       time.Time              `json:"authenticated_at"`
	AAL                   AAL                    `json:"authenticator_assurance_level"`
	AuthenticationMethods []AuthenticationMethod `json:"authentication_methods"`
	IssuedAt              time.Time              `json:"issued_at"`
	Identity              *identity.Identity     `json:"identity,omitempty"`
	Devices               []Device               `json:"devices"`

	IdentityID uuid.UUID `json:"-"`
	// TokenHash is the SHA-256 of the session token; the token itself is never stored.
	TokenHash []byte `json:"-"`
	// Version counts the writes that recorded an authentication on the session; the store
	// writes methods and AAL only over the version they were read at (see store.Sessions).
	Version int `json:"-"`
}

// IsActive reports whether the session can be used at now.
func (s *Session) IsActive(now time.Time) bool {
	return s.Active && now.Before(s.ExpiresAt)
}

// ErrInactive is what a conditional session write returns when the session is revoked or
// expired (or, for an extension, its identity is not active): a not-found kind, as Kratos
// answers for a session it will not touch.
var ErrInactive = apierr.ErrNotFound.WithReason(inactiveReason)

const inactiveReason = "The session is no longer active."

// IsInactive reports whether err is ErrInactive rather than a session that never existed or
// another failure.
func IsInactive(err error) bool {
	var e *apierr.Error
	return errors.Is(err, apierr.ErrNotFound) && errors.As(err, &e) && e.Reason == inactiveReason
}
