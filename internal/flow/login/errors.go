package login

import "github.com/portico-auth/portico/internal/apierr"

var (
	// ErrAlreadyLoggedIn answers an AJAX or API caller that starts a login with a session.
	ErrAlreadyLoggedIn = apierr.ErrBadRequest.WithID("session_already_available").
				WithReason("A valid session was detected and thus login is not possible. Did you forget to set `?refresh=true`?")
	// ErrSessionRequiredForHigherAAL answers aal=aal2 without a session.
	ErrSessionRequiredForHigherAAL = apierr.ErrUnauthorized.WithID("session_aal1_required").
					WithReason("A higher authenticator assurance level (aal2) can only be requested with an active session.")
	// ErrAALAlreadyFulfilled answers aal=aal2 for a session that is aal2 already.
	ErrAALAlreadyFulfilled = apierr.ErrBadRequest.WithID("session_aal_already_fulfilled").
				WithReason("The session already has the requested authenticator assurance level.")
	// ErrNoSecondFactor answers aal=aal2 for an identity without any second factor.
	ErrNoSecondFactor = apierr.ErrBadRequest.
				WithReason("The requested authenticator assurance level (aal2) is not available: this account has no second factor set up.")
	// ErrTooManyFactorAttempts answers a second factor that failed too often for the identity.
	ErrTooManyFactorAttempts = apierr.ErrTooMany.
					WithReason("Too many failed second-factor attempts for this account. Please wait a while before trying again.")
	// ErrInvalidAAL answers an aal parameter Portico does not know.
	ErrInvalidAAL = apierr.ErrBadRequest.WithReason("Unable to parse the aal parameter: only aal1 and aal2 are supported.")
)
