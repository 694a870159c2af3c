package login

import (
	"context"
	"errors"
	"net/http"

	"github.com/portico-auth/portico/internal/flow"
	"github.com/portico-auth/portico/internal/flow/form"
	"github.com/portico-auth/portico/internal/identity"
	"github.com/portico-auth/portico/internal/session"
	"github.com/portico-auth/portico/internal/text"
)

// Method is one way to sign in. The handler offers a method on a flow when its AAL is the
// level the flow asks for and Available says yes, and sends a submission to the method whose
// ID equals the submitted "method" field.
type Method interface {
	// ID is the value of the method's submit button ("password", "totp", …), which is also
	// the name of its credentials type and of its node group.
	ID() string
	// AAL is the level a successful Authenticate reaches: aal1 for a first factor, aal2 for
	// a second one.
	AAL() session.AAL
	// Available reports whether the method can be offered. ident is the identity being
	// re-authenticated or stepped up, or nil on a first login.
	Available(ident *identity.Identity) bool
	// Nodes adds the method's nodes to a new flow (ident as for Available).
	Nodes(ctx context.Context, f *Flow, ident *identity.Identity) error
	// Authenticate checks a submission. ident is the signed-in identity for refresh and aal2
	// flows (the method must only accept that identity), or nil. A wrong submission is a
	// *flow.FormError (shown on the flow); any other error is written as an error reply.
	Authenticate(ctx context.Context, r *http.Request, f *Flow, ident *identity.Identity, body form.Values) (*identity.Identity, error)
}

// SecondFactor is embedded by the methods of second factors (TOTP, backup codes, WebAuthn
// keys): they reach aal2.
type SecondFactor struct{}

// AAL implements Method: aal2.
func (SecondFactor) AAL() session.AAL { return session.AAL2 }

// ErrPending is what Authenticate returns when the submission moved the flow on without
// signing anyone in (a sign-in code was sent): the flow, as the method changed it, is stored and
// shown again (200, or back to the login UI).
var ErrPending = errors.New("login: the flow waits for its next step")

// ErrInvalidCredentials is the one answer to a wrong identifier or password.
func ErrInvalidCredentials() *flow.FormError {
	return flow.NewFormError(text.NewInvalidCredentials())
}
