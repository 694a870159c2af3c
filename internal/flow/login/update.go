package login

import (
	"errors"
	"net/http"

	"github.com/google/uuid"

	"github.com/portico-auth/portico/internal/flow"
	"github.com/portico-auth/portico/internal/flow/form"
	"github.com/portico-auth/portico/internal/identity"
	"github.com/portico-auth/portico/internal/session"
	"github.com/portico-auth/portico/internal/text"
	"github.com/portico-auth/portico/internal/throttle"
)

// StatePassedChallenge is the state of a login flow that signed someone in.
const StatePassedChallenge = "passed_challenge"

// update answers updateLoginFlow.
func (h *Handler) update(w *flow.Responder, r *http.Request) error {
	ctx := r.Context()
	f := &Flow{}
	rec, err := h.Submission(w, r, f)
	if err != nil {
		return err
	}
	body, err := form.Decode(r)
	if err != nil {
		return err
	}
	sess, err := h.Session(r)
	if err != nil {
		return err
	}
	if f.Expired(h.Time()) {
		return h.expired(w, r, f, sess)
	}
	if err := h.Verify(r, f, body); err != nil {
		return err
	}

	var ident *identity.Identity
	switch {
	case f.RequestedAAL == session.AAL2 && sess == nil:
		return ErrSessionRequiredForHigherAAL
	case sess != nil && (f.Refresh || f.RequestedAAL == session.AAL2):
		if ident, err = h.Identities.GetIdentity(ctx, sess.IdentityID, true); err != nil {
			return err
		}
	case sess != nil:
		return w.RefuseOrRedirect(ErrAlreadyLoggedIn, h.Target(f.ReturnTo, h.ReturnURL))
	}
	// A flow waiting for an existing identity to sign in before a provider account is linked
	// to it accepts that identity only, as a refresh does.
	linking := false
	if ident == nil && h.Links != nil {
		target, err := h.Links.Target(ctx, r, f)
		if err != nil {
			return err
		}
		if target != nil {
			if ident, err = h.Identities.GetIdentity(ctx, *target, true); err != nil {
				return err
			}
			linking = true
		}
	}

	f.UI.ResetMessages()
	m := h.method(body.String("method"), f.RequestedAAL)
	if c := flow.Claimant(h.Methods, body); m == nil && c != nil && c.AAL() == f.RequestedAAL {
		m = c
	}
	if m == nil {
		return h.Invalid(w, r, f, rec.IdentityID, flow.NewFormError(text.New(text.ErrorValidationLoginNoStrategy, nil)))
	}
	// A second-factor attempt is counted before it is evaluated, so that concurrent guesses
	// cannot all pass one check.
	var reserved *throttle.Reservation
	if h.FactorThrottle != nil && m.AAL() == session.AAL2 && ident != nil {
		reserved, err = h.FactorThrottle.Reserve(ctx, ident.ID.String(), h.Time())
		if _, limited := throttle.IsLimited(err); limited {
			h.recordRefusal(r, m.ID(), &ident.ID, sess, err)
			err = ErrTooManyFactorAttempts.WithCause(err)
		}
		if err != nil {
			return err
		}
	}
	authed, err := m.Authenticate(ctx, r, f, ident, body)
	if terr := settleFactorAttempt(r, reserved, err); terr != nil {
		return terr
	}
	var signedIn *uuid.UUID
	if ident != nil {
		signedIn = &ident.ID
	}
	h.recordRefusal(r, m.ID(), signedIn, sess, err)
	if fe, ok := flow.AsFormError(err); ok {
		return h.Invalid(w, r, f, rec.IdentityID, fe)
	}
	if errors.Is(err, ErrPending) {
		if err := h.Save(ctx, f, rec.IdentityID); err != nil {
			return err
		}
		return w.Show(http.StatusOK, f, h.UI(f.ID))
	}
	if err != nil {
		return err
	}
	if linking {
		err := h.Links.Complete(ctx, r, f, authed)
		if fe, ok := flow.AsFormError(err); ok {
			return h.Invalid(w, r, f, rec.IdentityID, fe)
		}
		if err != nil {
			return err
		}
	}
	return h.succeed(w, r, f, m, sess, authed)
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
func (h *Handler) expired(w *flow.Responder, r *http.Request, old *Flow, sess *session.Session) error {
	opts := options{refresh: old.Refresh, aal: old.RequestedAAL, returnTo: old.ReturnTo}
	if sess == nil && opts.aal == session.AAL2 {
		opts.aal = session.AAL1
	}
	if sess != nil && !opts.refresh && opts.aal != session.AAL2 {
		sess = nil
	}
	msg := text.NewLoginFlowExpired(old.ExpiresAt, h.Time())
	f, err := h.newFlow(w, r, opts, sess, &msg)
	if err != nil {
		return err
	}
	return h.Expired(w, old, f)
}

// settleFactorAttempt settles a reserved second-factor attempt: a right answer clears the
// identity's count, a wrong one (a form error) stays counted, and one that could not be
// evaluated is given back.
func settleFactorAttempt(r *http.Request, reserved *throttle.Reservation, authErr error) error {
	if authErr == nil {
		return reserved.Succeeded(r.Context())
	}
	if _, ok := flow.AsFormError(authErr); ok {
		return nil
	}
	return reserved.Cancel(r.Context())
}
