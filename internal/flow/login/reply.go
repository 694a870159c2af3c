package login

import (
	"net/http"

	"github.com/google/uuid"

	"github.com/portico-auth/portico/internal/flow"
	"github.com/portico-auth/portico/internal/identity"
	"github.com/portico-auth/portico/internal/session"
	"github.com/portico-auth/portico/internal/session/sessionhttp"
)

// success is the reply to a successful login (Kratos's successfulNativeLogin); browser flows
// answered with JSON carry no token.
type success struct {
	SessionToken string              `json:"session_token,omitempty"`
	Session      *session.Session    `json:"session"`
	ContinueWith []flow.ContinueWith `json:"continue_with"`
}

// succeed signs the identity in: a new session on a first login, the same session refreshed
// or stepped up otherwise.
func (h *Handler) succeed(w *flow.Responder, r *http.Request, f *Flow, m Method, sess *session.Session, ident *identity.Identity) error {
	ctx := r.Context()
	public := h.Public.String()
	method := session.AuthenticationMethod{Method: m.ID(), AAL: m.AAL()}
	// The after hooks the flow waits for run before the session is written, so one that
	// refuses the login leaves no session behind; they see the session as it will be
	// (Kratos's ctx.session): the new one, or the current one with this method recorded.
	fresh := sess == nil || (f.RequestedAAL != session.AAL2 && !f.Refresh)
	var prepared, shown *session.Session
	var token string
	var err error
	if fresh {
		prepared, token, err = h.Sessions.Prepare(ident.Public(public), []session.AuthenticationMethod{method}, sessionhttp.DeviceFromRequest(r))
		if err != nil {
			return err
		}
		shown = prepared
	} else {
		shown = h.Sessions.Preview(sess, method)
	}
	if err := h.RunAfter(r, f, m.ID(), ident, shown); err != nil {
		if fe, ok := flow.AsFormError(err); ok {
			var owner *uuid.UUID
			if sess != nil {
				owner = &sess.IdentityID
			}
			return h.Invalid(w, r, f, owner, fe)
		}
		return err
	}
	issued := false
	switch {
	case sess != nil && f.RequestedAAL == session.AAL2:
		err = h.Sessions.Upgrade(ctx, sess, method)
		token = h.Sessions.TokenFromRequest(r)
	case sess != nil && f.Refresh:
		// The first factor is recorded either way; an identity with a second factor is asked
		// for it next, on this flow (see refresh.go).
		var next *identity.Identity
		if next, err = h.secondStepIdentity(ctx, f, m, sess); err != nil {
			return err
		}
		if err = h.Sessions.Refresh(ctx, sess, method); err == nil && next != nil {
			return h.secondStep(w, r, f, next)
		}
		token = h.Sessions.TokenFromRequest(r)
	default:
		err = h.Sessions.Store(ctx, prepared)
		sess = prepared
		issued = true
	}
	if err != nil {
		return err
	}
	sess.Identity = sess.Identity.Public(public)
	f.State = StatePassedChallenge
	if err := h.Save(ctx, f, &sess.IdentityID); err != nil {
		w.Log().WarnContext(ctx, "store completed login flow", "error", err)
	}
	w.Log().DebugContext(ctx, "login succeeded", "identity_id", sess.IdentityID, "session_id", sess.ID, "method", m.ID())
	h.recordSignIn(r, sess, m.ID())
	if h.Devices != nil && m.AAL() == session.AAL1 {
		h.Devices.Remember(w, ident)
	}

	h.SendAfter(r, f, m.ID(), ident, sess)
	res := success{Session: sess}
	if f.Type == flow.TypeAPI {
		res.SessionToken = token
	} else {
		h.Sessions.SetCookie(w, token, sess.ExpiresAt)
	}
	target := h.Target(f.ReturnTo, h.ReturnURL)
	if issued && h.Sessions.MustEnrolAt(sess.AAL, ident) {
		// Forced enrolment: a new session without a second factor goes to the settings flow
		// that offers only the enrolment, and on to return_to from there. A refresh or step-up
		// keeps its return_to (a refresh may be the one a parked enrolment waits for).
		target = sessionhttp.EnrolURL(public, f.ReturnTo)
	}
	return w.Finish(&res, &res.ContinueWith, target)
}

// Complete signs ident in on flow f for method m when the method finishes outside a submission
// to this flow (the oidc callback, a provider's redirect back). sess is the request's session
// (refresh flows refresh it), or nil.
func (h *Handler) Complete(w *flow.Responder, r *http.Request, f *Flow, m Method, sess *session.Session, ident *identity.Identity) error {
	if sess != nil && !f.Refresh && f.RequestedAAL != session.AAL2 {
		sess = nil
	}
	return h.succeed(w, r, f, m, sess, ident)
}

// Restart answers a method's late step (a callback) on expired flow old as a submission to it
// is answered: a new flow with the "expired" message.
func (h *Handler) Restart(w *flow.Responder, r *http.Request, old *Flow) error {
	sess, err := h.Session(r)
	if err != nil {
		return err
	}
	return h.expired(w, r, old, sess)
}
