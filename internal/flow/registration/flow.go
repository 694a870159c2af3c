package registration

import (
	"context"
	"errors"
	"net/http"

	"github.com/portico-auth/portico/internal/apierr"
	"github.com/portico-auth/portico/internal/flow"
	"github.com/portico-auth/portico/internal/flow/form"
	"github.com/portico-auth/portico/internal/identity"
)

// Kind is the store kind of registration flows.
const Kind = "registration"

// Flow states.
const (
	StateChooseMethod    = "choose_method"
	StatePassedChallenge = "passed_challenge"
)

// Flow is a registration flow as Kratos serialises it (no created_at/updated_at).
type Flow struct {
	flow.Base
	State string `json:"state"`
}

// Method is one way to sign up.
type Method interface {
	// ID is the value of the method's submit button ("password").
	ID() string
	// Nodes adds the method's nodes (trait inputs included) to a new flow.
	Nodes(ctx context.Context, f *Flow) error
	// Register validates the submission and creates the identity. A submission the user must
	// correct is a *flow.FormError; ErrPending keeps the flow going (a code was sent); a
	// *Handover lets another flow answer; any other error is written as an error reply.
	Register(ctx context.Context, r *http.Request, f *Flow, body form.Values) (*identity.Identity, error)
}

// ErrPending is what Register returns when the submission moved the flow on without
// creating an identity (a sign-up code was sent): the flow, as the method changed it, is stored
// and shown again (200, or back to the registration UI).
var ErrPending = errors.New("registration: the flow waits for its next step")

// Handover is what Register returns when another flow takes the submission over (a social
// sign-up whose verified address an existing identity holds continues in a login flow that
// asks that identity to sign in): Respond writes the reply instead of the registration flow.
type Handover struct {
	Respond func(w *flow.Responder) error
}

func (*Handover) Error() string { return "registration: handed over to another flow" }

var (
	// ErrDisabled answers every registration endpoint when registration is switched off.
	ErrDisabled = apierr.ErrBadRequest.WithID("self_service_flow_disabled").
			WithReason("Registration is not allowed because it was disabled.")
	// ErrAlreadyLoggedIn answers a JSON caller that starts a registration with a session.
	ErrAlreadyLoggedIn = apierr.ErrBadRequest.WithID("session_already_available").
				WithReason("A valid session was detected and thus registration is not possible.")
)
