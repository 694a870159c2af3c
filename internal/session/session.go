// Package session holds the session model: who is signed in, how strongly (AAL) and by which
// methods, until when, and from which devices. Tokens are random and only their hashes are stored.
package session

import (
	"time"

	"github.com/google/uuid"

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
	// LogoutTokenHash is the SHA-256 of the logout token handed out by the logout flow.
	LogoutTokenHash []byte `json:"-"`
}

// IsActive reports whether the session can be used at now.
func (s *Session) IsActive(now time.Time) bool {
	return s.Active && now.Before(s.ExpiresAt)
}
