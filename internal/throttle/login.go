package throttle

import (
	"context"
	"net/http"
	"time"

	"github.com/google/uuid"

	"github.com/portico-auth/portico/internal/clientaddr"
)

// The budgets the server uses. The identifier and second-factor scopes are the ones the
// counters had before this package, so counts survive an upgrade.
var (
	// DefaultIdentifier: failed password attempts per identifier (known or not) from clients
	// that are not a trusted device of its identity.
	DefaultIdentifier = Budget{Scope: "login", Max: 5, Window: 15 * time.Minute}
	// DefaultSource: failed password attempts per client address across all identifiers
	// (password spraying). Generous, since many people may share one address behind NAT;
	// their trusted devices do not draw on it.
	DefaultSource = Budget{Scope: "login-source", Max: 30, Window: 15 * time.Minute}
	// DefaultDevice: failed password attempts per trusted device.
	DefaultDevice = Budget{Scope: "login-device", Max: 5, Window: 15 * time.Minute}
	// DefaultFactor: failed second-factor attempts per identity.
	DefaultFactor = Budget{Scope: "aal2", Max: 5, Window: 15 * time.Minute}
)

// Login decides who pays for a password sign-in attempt. A nil *Login admits everything.
type Login struct {
	Throttle *Throttle
	// Identifier is charged per (normalised) identifier.
	Identifier Budget
	// Source is charged per client address, shared by every identifier.
	Source Budget
	// Device is charged instead of both when the request carries a device cookie of the
	// identity being signed in to.
	Device  Budget
	Devices *Devices
	// Addresses finds the client address (trusted proxies); nil trusts no proxy.
	Addresses *clientaddr.Resolver
}

// Reserve reserves an attempt to sign in with identifier, which belongs to identityID
// (uuid.Nil when no identity holds it), from r. A *Limited error names the budget that refused.
func (l *Login) Reserve(ctx context.Context, r *http.Request, identifier string, identityID uuid.UUID, now time.Time) (*Reservation, error) {
	if l == nil {
		return nil, nil
	}
	if device, ok := l.Devices.Trusted(r, identityID); ok {
		return l.Throttle.Reserve(ctx, now, Charge{Budget: l.Device, Subject: device})
	}
	// The source first: a spraying client refused there never touches the identifier's count.
	return l.Throttle.Reserve(ctx, now,
		Charge{Budget: l.Source, Subject: clientaddr.Key(l.Addresses.Address(r)), Shared: true},
		Charge{Budget: l.Identifier, Subject: identifier},
	)
}

// Remember marks the client of w as a trusted device of identityID (after a successful
// sign-in).
func (l *Login) Remember(w http.ResponseWriter, identityID uuid.UUID) {
	if l != nil {
		l.Devices.Remember(w, identityID)
	}
}
