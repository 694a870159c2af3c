package password

import (
	"github.com/portico-auth/portico/internal/apierr"
	"github.com/portico-auth/portico/internal/throttle"
)

// ErrTooManyAttempts answers an identifier that failed too often; it is given whether or not
// the identifier exists.
var ErrTooManyAttempts = apierr.ErrTooMany.
	WithReason("Too many failed sign-in attempts for this identifier. Please wait a while before trying again.")

// ErrTooManyFromSource answers a client address that failed too often across identifiers.
var ErrTooManyFromSource = apierr.ErrTooMany.
	WithReason("Too many failed sign-in attempts from your network address. Please wait a while before trying again.")

// throttled turns a throttle refusal into the error the client sees; other errors pass.
func throttled(err error) error {
	l, ok := throttle.IsLimited(err)
	if !ok {
		return err
	}
	if l.Scope == throttle.DefaultSource.Scope {
		return ErrTooManyFromSource.WithCause(err)
	}
	return ErrTooManyAttempts.WithCause(err)
}
