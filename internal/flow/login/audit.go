package login

import (
	"errors"
	"net/http"

	"github.com/google/uuid"

	"github.com/portico-auth/portico/internal/audit"
	"github.com/portico-auth/portico/internal/flow"
	"github.com/portico-auth/portico/internal/session"
	"github.com/portico-auth/portico/internal/throttle"
)

// RefusedError is a refused sign-in attempt a method made on the identity it names: a wrong
// secret (a *flow.FormError) or a spent budget (a *throttle.Limited), with the identity the
// submitted identifier belongs to, uuid.Nil when it belongs to none. The handler answers Err
// as it would answer it bare, and records the refusal in the audit trail under that identity:
// never the identifier itself. A refusal of no identity is counted, not stored
// (audithttp.Recorder.Record), so an unknown identifier leaves no row at all.
type RefusedError struct {
	IdentityID uuid.UUID
	Err        error
}

func (e *RefusedError) Error() string { return e.Err.Error() }
func (e *RefusedError) Unwrap() error { return e.Err }

// Refused returns err as a refusal of an attempt on identityID (uuid.Nil: no identity).
func Refused(identityID uuid.UUID, err error) error {
	return &RefusedError{IdentityID: identityID, Err: err}
}

// recordRefusal records a refused attempt of method m in the audit trail: a wrong secret as
// sign_in_failed, a spent budget as sign_in_throttled, under the identity the method named
// (RefusedError) or, on a refresh or a second factor, the signed-in one. Other errors (a
// database outage, a malformed request) and a first-factor method that names no attempt are
// not attempts and leave nothing.
func (h *Handler) recordRefusal(r *http.Request, method string, ident *uuid.UUID, sess *session.Session, err error) {
	if h.Audit == nil || err == nil {
		return
	}
	typ := ""
	if _, ok := flow.AsFormError(err); ok {
		typ = audit.SignInFailed
	} else if _, ok := throttle.IsLimited(err); ok {
		typ = audit.SignInThrottled
	} else {
		return
	}
	id := uuid.Nil
	var re *RefusedError
	switch {
	case errors.As(err, &re):
		id = re.IdentityID
		if id == uuid.Nil && ident != nil {
			// A refresh: the attempt was on the signed-in identity.
			id = *ident
		}
	case ident != nil:
		id = *ident
	default:
		return
	}
	ev := audit.New(typ, id, map[string]any{"method": method})
	if sess != nil {
		ev = ev.WithSession(sess.ID)
	}
	h.Audit.Record(r, ev)
}

// recordSignIn records the sign-in that issued, refreshed or stepped up sess (one insert).
func (h *Handler) recordSignIn(r *http.Request, sess *session.Session, method string) {
	if h.Audit == nil {
		return
	}
	methods := make([]string, 0, len(sess.AuthenticationMethods))
	for _, m := range sess.AuthenticationMethods {
		methods = append(methods, m.Method)
	}
	h.Audit.Record(r, audit.New(audit.SignIn, sess.IdentityID, map[string]any{
		"method": method, "methods": methods, "aal": string(sess.AAL),
	}).WithSession(sess.ID))
}

// Refuse answers a refusal that method made outside a submission to flow f (the oidc
// callback) as a submission's is answered (Invalid), and records it in the audit trail as
// recordRefusal does: err is a login.Refused naming the identity the attempt was on.
func (h *Handler) Refuse(w *flow.Responder, r *http.Request, f *Flow, method string, sess *session.Session, err error) error {
	fe, ok := flow.AsFormError(err)
	if !ok {
		return err
	}
	h.recordRefusal(r, method, nil, sess, err)
	return h.Invalid(w, r, f, nil, fe)
}
