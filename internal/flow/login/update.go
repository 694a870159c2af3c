package login

import (
	"net/http"

	"github.com/portico-auth/portico/internal/apierr"
	"github.com/portico-auth/portico/internal/flow"
	"github.com/portico-auth/portico/internal/flow/form"
	"github.com/portico-auth/portico/internal/identity"
	"github.com/portico-auth/portico/internal/session"
	"github.com/portico-auth/portico/internal/text"
	"github.com/portico-auth/portico/internal/throttle"
)

// StatePassedChallenge is the state of a login flow that signed someone in.
const StatePassedChallenge = "passed_challenge"

// success is the reply to a successful login (Kratos's successfulNativeLogin); browser flows
// answered with JSON carry no token.
type success struct {
	SessionToken string           `json:"session_token,omitempty"`
	Session      *session.Session `json:"session"`
	ContinueWith []ContinueWith   `json:"continue_with"`
}

// ContinueWith is one item of continue_with (Kratos's continueWith): the action and the one
// field that goes with it.
type ContinueWith struct {
	Action            string `json:"action"`
	OrySessionToken   string `json:"ory_session_token,omitempty"`
	RedirectBrowserTo string `json:"redirect_browser_to,omitempty"`
}

// CheckAPIFlowRequest rejects a submission to an API flow that a browser made (see
// flow.CheckAPIRequest).
func CheckAPIFlowRequest(r *http.Request) error { return flow.CheckAPIRequest(r) }

// update answers updateLoginFlow.
func (h *Handler) update(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	// A missing or malformed ?flow= is a 400, judged before any flow is looked up.
	id, err := flow.SubmittedID(r)
	if err != nil {
		h.Errors.Write(w, r, err)
		return
	}
	f, rec, err := h.load(r, id.String())
	if err != nil {
		h.Errors.Write(w, r, err)
		return
	}
	body, err := form.Decode(r)
	if err != nil {
		h.fail(w, r, f.Type, err)
		return
	}
	sess, err := h.session(r)
	if err != nil {
		h.fail(w, r, f.Type, err)
		return
	}
	if err := f.Valid(h.now()); err != nil {
		h.expired(w, r, f, sess, err)
		return
	}
	if f.Type == flow.TypeAPI {
		err = CheckAPIFlowRequest(r)
	} else {
		err = h.CSRF.VerifyFlow(r, f.Type, body.String("csrf_token"))
	}
	if err != nil {
		h.fail(w, r, f.Type, err)
		return
	}

	var ident *identity.Identity
	switch {
	case f.RequestedAAL == session.AAL2 && sess == nil:
		h.fail(w, r, f.Type, ErrSessionRequiredForHigherAAL)
		return
	case sess != nil && (f.Refresh || f.RequestedAAL == session.AAL2):
		if ident, err = h.Identities.GetIdentity(ctx, sess.IdentityID, true); err != nil {
			h.fail(w, r, f.Type, err)
			return
		}
	case sess != nil:
		if flow.ReplyJSON(f.Type, r) {
			h.fail(w, r, f.Type, ErrAlreadyLoggedIn)
			return
		}
		flow.Redirect(w, r, h.returnURL(f.ReturnTo))
		return
	}

	f.UI.ResetMessages()
	m := h.method(body.String("method"), f.RequestedAAL)
	if m == nil {
		h.invalid(w, r, f, rec.IdentityID, &FormError{Messages: []text.Message{text.New(text.ErrorValidationLoginNoStrategy, nil)}})
		return
	}
	// A second-factor attempt is counted before it is evaluated, so that concurrent guesses
	// cannot all pass one check.
	var reserved *throttle.Reservation
	if h.FactorThrottle != nil && m.AAL() == session.AAL2 && ident != nil {
		reserved, err = h.FactorThrottle.Reserve(ctx, ident.ID.String(), h.now())
		if _, limited := throttle.IsLimited(err); limited {
			err = ErrTooManyFactorAttempts.WithCause(err)
		}
		if err != nil {
			h.fail(w, r, f.Type, err)
			return
		}
	}
	authed, err := m.Authenticate(ctx, r, f, ident, body)
	if terr := settleFactorAttempt(r, reserved, err); terr != nil {
		h.fail(w, r, f.Type, terr)
		return
	}
	if fe, ok := AsFormError(err); ok {
		h.invalid(w, r, f, rec.IdentityID, fe)
		return
	}
	if err != nil {
		h.fail(w, r, f.Type, err)
		return
	}
	h.succeed(w, r, f, m, sess, authed)
}

func (h *Handler) method(id string, aal session.AAL) Method {
	for _, m := range h.Methods {
		if m.ID() == id && m.AAL() == aal {
			return m
		}
	}
	return nil
}

// expired answers a submission to an expired flow with a fresh flow of the same kind.
func (h *Handler) expired(w http.ResponseWriter, r *http.Request, old *Flow, sess *session.Session, cause error) {
	opts := options{refresh: old.Refresh, aal: old.RequestedAAL, returnTo: old.ReturnTo}
	if sess == nil && opts.aal == session.AAL2 {
		opts.aal = session.AAL1
	}
	if sess != nil && !opts.refresh && opts.aal != session.AAL2 {
		sess = nil
	}
	f, err := h.newFlowWithMessage(w, r, old.Type, opts, sess, text.NewLoginFlowExpired(old.ExpiresAt, h.now()))
	if err != nil {
		h.fail(w, r, old.Type, err)
		return
	}
	if flow.ReplyJSON(old.Type, r) {
		old.WriteExpired(w, r, h.now(), f.ID)
		return
	}
	flow.Redirect(w, r, h.uiURL(f.ID))
}

func (h *Handler) newFlowWithMessage(w http.ResponseWriter, r *http.Request, t flow.Type, opts options, sess *session.Session, msg text.Message) (*Flow, error) {
	f, err := h.newFlow(r.Context(), w, r, t, opts, sess)
	if err != nil {
		return nil, err
	}
	f.UI.AddMessage(msg)
	rec, err := flow.Record(Kind, &f.Base, nil, f)
	if err != nil {
		return nil, apierr.ErrInternal.WithCause(err)
	}
	if sess != nil {
		rec.IdentityID = &sess.IdentityID
	}
	if err := h.Flows.UpdateFlow(r.Context(), rec); err != nil {
		return nil, err
	}
	return f, nil
}

// settleFactorAttempt settles a reserved second-factor attempt: a right answer clears the
// identity's count, a wrong one (a form error) stays counted, and one that could not be
// evaluated is given back.
func settleFactorAttempt(r *http.Request, reserved *throttle.Reservation, authErr error) error {
	if authErr == nil {
		return reserved.Succeeded(r.Context())
	}
	if _, ok := AsFormError(authErr); ok {
		return nil
	}
	return reserved.Cancel(r.Context())
}
