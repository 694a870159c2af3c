package settings

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/portico-auth/portico/internal/flow/form"
	"github.com/portico-auth/portico/internal/identity"
	"github.com/portico-auth/portico/internal/session"
	"github.com/portico-auth/portico/internal/text"
)

// Method is one way of changing settings (profile, password, TOTP, …). Adding a method means
// a new type implementing it and one more entry in Handler.Methods; the handler does the rest
// (sessions, CSRF, expiry, privileged sessions, replies).
type Method interface {
	// ID is the method's name: the value of the submitted "method" field and of the hook key
	// selfservice.flows.settings.after.<id>.
	ID() string
	// Nodes appends the method's nodes for ident (with credentials loaded) to f.
	Nodes(ctx context.Context, f *Flow, ident *identity.Identity) error
	// Update applies a submission. It returns ErrInvalid after adding messages to f's nodes
	// when the input is refused, the error of sub.RequirePrivileged when the change needs a
	// fresher session, another error when something failed, and nil once the change is
	// stored (sub.Identity then holds the stored identity).
	Update(ctx context.Context, f *Flow, sub *Submission) error
}

// ErrInvalid tells the handler that a method refused the input and put its reasons on the
// flow's nodes: the flow is shown again (400 for JSON, 303 to the UI for browsers).
var ErrInvalid = errors.New("settings: invalid submission")

// ErrReturnToUI tells the handler that a method changed the flow's nodes (and perhaps its
// internal context) without storing anything yet, e.g. freshly generated recovery codes waiting
// for confirmation: the flow is stored and shown again (200 for JSON, 303 to the UI for
// browsers), in state show_form.
var ErrReturnToUI = errors.New("settings: method asks to show the flow again")

// ErrIdentityDeleted tells the handler that the method deleted the identity, and with it its
// sessions and this flow: nothing is stored or shown any more; the person is sent on (see
// Handler.deleted).
var ErrIdentityDeleted = errors.New("settings: the identity deleted itself")

// Carrier is implemented by methods whose state in a flow's internal context outlives a
// successful submission: the fresh flow the success shows starts with the submitted flow's
// values of these keys (a TOTP key offered for linking stays the one offered, so its QR code
// is not drawn anew after, say, a profile change).
type Carrier interface {
	CarriedKeys() []string
}

// OwnNodesOnly is implemented by methods whose Update reads and changes only their own
// group's nodes (values and messages; none added, removed or moved), after Flow.OwnNodes has
// decoded them, and the flow's messages.
// A submission to one leaves the flow's kept secret nodes (another method's TOTP key or
// recovery codes, the largest nodes a flow has) encoded unless the flow is shown or stored
// again: a success shows a fresh flow and never decodes them.
type OwnNodesOnly interface {
	OwnNodesOnly()
}

// Claimer is implemented by methods whose forms submit no "method" field (Kratos's
// totp_unlink and lookup_secret_* buttons): a submission whose method names no method goes to
// the first method that claims it.
type Claimer interface {
	Claims(body form.Values) bool
}

// ErrPrivilegeRequired is returned by Submission.RequirePrivileged when the session's
// authentication is older than selfservice.flows.settings.privileged_session_max_age.
var ErrPrivilegeRequired = errors.New("settings: privileged session required")

// Submission is one submission to a settings flow, as a method sees it.
type Submission struct {
	Request *http.Request
	Session *session.Session
	// Identity is the signed-in identity with its credentials loaded; a method changes it and
	// stores it with Save.
	Identity *identity.Identity
	Body     form.Values

	privileged bool
	// redirected: the reply to the submission sends a browser to the UI (not JSON).
	redirected bool
	save       func(context.Context, *identity.Identity) error
	// finish stores a change with the flows its success shows (see Finish).
	finish func(context.Context, *identity.Identity) error
	// factors and couldSignIn guard Save: a change may not take the last usable first factor
	// of an identity that had one (see identity.Factors.KeepsSignIn). flow gets the message.
	factors     identity.Factors
	couldSignIn bool
	// keepSecond: forced enrolment is on and the identity has a usable second factor, so a
	// change may not take its last one (see enrol.go).
	keepSecond bool
	flow       *Flow
}

// MethodRecorder records a completed method on a session (satisfied by
// *sessionhttp.Sessions).
type MethodRecorder interface {
	AddMethod(ctx context.Context, s *session.Session, m session.AuthenticationMethod) error
}

// SecondFactorSetUp records on the submission's session that it completed the second factor
// method it has just set up (as Kratos does: setting up a factor proves possession of it, so
// the session is not locked out of the settings it is using). Nothing is recorded without
// sessions or a session.
func (s *Submission) SecondFactorSetUp(ctx context.Context, sessions MethodRecorder, method string) error {
	if sessions == nil || s.Session == nil {
		return nil
	}
	if err := sessions.AddMethod(ctx, s.Session, session.AuthenticationMethod{Method: method, AAL: session.AAL2}); err != nil {
		return fmt.Errorf("record %s on session: %w", method, err)
	}
	return nil
}

// newSubmission prepares the submission of body for ident, noting whether ident can sign
// in before any method changes it.
func newSubmission(r *http.Request, s *session.Session, ident *identity.Identity, body form.Values, f *Flow, factors identity.Factors) *Submission {
	return &Submission{Request: r, Session: s, Identity: ident, Body: body, flow: f,
		factors: factors, couldSignIn: len(factors.FirstFactors(ident)) > 0}
}

// Save stores a method's change of the identity. When the method's settings hooks include
// revoke_active_sessions, the identity's other sessions are deactivated in the same
// transaction, so a new credential never coexists with the sessions it should end.
//
// Every method's change passes here, so no method can remove the last way to sign in
// (the last passkey, say): such a change is refused with message 4000100 on the flow and
// ErrInvalid, and nothing is stored.
//
// Under forced enrolment (aal2_enrol) no change may take the last usable second factor
// either: refused with message 4000111.
func (s *Submission) Save(ctx context.Context, id *identity.Identity) error {
	if msg := s.refusal(id); msg != nil {
		if s.flow != nil {
			s.flow.UI.AddMessage(*msg)
		}
		return ErrInvalid
	}
	return s.save(ctx, id)
}

// refusal is the message of a change Save may not store (see Save), or nil.
func (s *Submission) refusal(id *identity.Identity) *text.Message {
	var m text.Message
	switch {
	case !s.factors.KeepsSignIn(s.couldSignIn, id):
		m = text.New(text.ErrorValidationLastFirstFactor, nil)
	case s.keepSecond && s.factors.HighestAAL(id) != "aal2":
		m = text.New(text.ErrorValidationLastSecondFactor, nil)
	default:
		return nil
	}
	return &m
}

// Finish is Save for a method's last step: the change, the fresh flow the success reply shows
// and the submitted flow's success are stored in one transaction (one write instead of three
// on SQLite's single writer). The method returns nil right after a Finish that succeeded:
// what it changes in the flow afterwards is not stored. A failure is reported as by Save and
// stores nothing.
func (s *Submission) Finish(ctx context.Context, id *identity.Identity) error {
	if s.finish == nil || s.refusal(id) != nil {
		return s.Save(ctx, id) // Save refuses the latter, with the flow's message
	}
	return s.finish(ctx, id)
}

// RequirePrivileged returns ErrPrivilegeRequired unless the session was authenticated
// recently enough for changes of credentials and identifiers. Methods call it before they
// apply such a change.
func (s *Submission) RequirePrivileged() error {
	if s.privileged {
		return nil
	}
	return ErrPrivilegeRequired
}
