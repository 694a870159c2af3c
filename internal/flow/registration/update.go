package registration

import (
	"errors"
	"net/http"

	"github.com/portico-auth/portico/internal/flow"
	"github.com/portico-auth/portico/internal/flow/form"
	"github.com/portico-auth/portico/internal/identity"
	"github.com/portico-auth/portico/internal/session"
	"github.com/portico-auth/portico/internal/session/sessionhttp"
	"github.com/portico-auth/portico/internal/text"
)

// success is Kratos's successfulNativeRegistration.
type success struct {
	Identity     *identity.Identity  `json:"identity"`
	Session      *session.Session    `json:"session,omitempty"`
	SessionToken string              `json:"session_token,omitempty"`
	ContinueWith []flow.ContinueWith `json:"continue_with"`
}

// update answers updateRegistrationFlow.
func (h *Handler) update(w *flow.Responder, r *http.Request) error {
	f := &Flow{}
	if _, err := h.Submission(w, r, f); err != nil {
		return err
	}
	if !h.Enabled {
		return ErrDisabled
	}
	body, err := form.Decode(r)
	if err != nil {
		return err
	}
	if f.Expired(h.Time()) {
		return h.Restart(w, r, f)
	}
	if err := h.Verify(r, f, body); err != nil {
		return err
	}
	if sess, err := h.Session(r); err != nil {
		return err
	} else if sess != nil {
		return w.RefuseOrRedirect(ErrAlreadyLoggedIn, h.Target(f.ReturnTo, h.ReturnURL))
	}

	f.UI.ResetMessages()
	var m Method
	for _, c := range h.Methods {
		if c.ID() == body.String("method") {
			m = c
		}
	}
	if m == nil {
		m = flow.Claimant(h.Methods, body)
	}
	if m == nil {
		return h.Invalid(w, r, f, nil, flow.NewFormError(text.New(text.ErrorValidationRegistrationNoStrategy, nil)))
	}
	// The after hooks that may refuse the sign-up or set its traits and metadata run when the
	// method stores the identity (identity.Manager), before anything is written.
	ident, err := m.Register(h.Audited(h.PrePersist(r, f, m.ID()), r, m.ID()), r, f, body)
	if fe, ok := flow.AsFormError(err); ok {
		return h.Invalid(w, r, f, nil, fe)
	}
	if ho, ok := errors.AsType[*Handover](err); ok {
		return ho.Respond(w)
	}
	if errors.Is(err, ErrPending) {
		if err := h.Save(r.Context(), f, nil); err != nil {
			return err
		}
		return w.Show(http.StatusOK, f, h.UI(f.ID))
	}
	if err != nil {
		return err
	}
	return h.succeed(w, r, f, m, ident)
}

// succeed answers a registration that created ident, signing it in when the session hook is
// on.
func (h *Handler) succeed(w *flow.Responder, r *http.Request, f *Flow, m Method, ident *identity.Identity) error {
	ctx := r.Context()
	pub := ident.Public(h.Public.String())
	f.State = StatePassedChallenge
	if err := h.Save(ctx, f, &ident.ID); err != nil {
		w.Log().WarnContext(ctx, "store completed registration flow", "error", err)
	}
	w.Log().DebugContext(ctx, "registration succeeded", "identity_id", ident.ID, "method", m.ID())
	res := success{Identity: pub}
	if h.IssueSession {
		sess, token, err := h.Sessions.Issue(ctx, pub, []session.AuthenticationMethod{{Method: m.ID(), AAL: session.AAL1}}, sessionhttp.DeviceFromRequest(r))
		if err != nil {
			return err
		}
		res.Session = sess
		if f.Type == flow.TypeAPI {
			res.SessionToken = token
			res.ContinueWith = append(res.ContinueWith, flow.SetSessionToken(token))
		} else {
			h.Sessions.SetCookie(w, token, sess.ExpiresAt)
		}
	}
	if err := h.RunAfter(r, f, m.ID(), ident, res.Session); err != nil {
		return err
	}
	h.SendAfter(r, f, m.ID(), ident, res.Session)
	target := h.Target(f.ReturnTo, h.ReturnURL)
	if h.Verification != nil {
		cw, err := h.Verification.Start(w, r, ident, f.ReturnTo)
		if err != nil {
			// The identity exists; the person can ask for a verification message later.
			w.Log().WarnContext(ctx, "start verification after registration", "identity_id", ident.ID, "error", err)
		}
		for _, c := range cw {
			for i, a := range pub.VerifiableAddresses {
				if a.Value == c.Flow.VerifiableAddress && !a.Verified {
					pub.VerifiableAddresses[i].Status = "sent"
				}
			}
		}
		if h.ShowVerificationUI && len(cw) > 0 && cw[0].Flow.URL != "" {
			target = cw[0].Flow.URL
		}
		res.ContinueWith = append(res.ContinueWith, cw...)
	}
	return w.Finish(&res, &res.ContinueWith, target)
}

// Complete answers a registration that method m finished outside a submission to flow f (the
// oidc callback) with identity ident, as a submission's success is answered.
func (h *Handler) Complete(w *flow.Responder, r *http.Request, f *Flow, m Method, ident *identity.Identity) error {
	return h.succeed(w, r, f, m, ident)
}

// Restart answers a method's late step (a callback) on expired flow old with a new flow
// carrying the "expired" message.
func (h *Handler) Restart(w *flow.Responder, r *http.Request, old *Flow) error {
	msg := text.NewRegistrationFlowExpired(old.ExpiresAt, h.Time())
	next, err := h.newFlow(w, r, old.ReturnTo, &msg)
	if err != nil {
		return err
	}
	return h.Expired(w, old, next)
}
