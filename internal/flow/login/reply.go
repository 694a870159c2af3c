package login

import (
	"net/http"

	"github.com/google/uuid"

	"github.com/portico-auth/portico/internal/apierr"
	"github.com/portico-auth/portico/internal/flow"
	"github.com/portico-auth/portico/internal/identity"
	"github.com/portico-auth/portico/internal/session"
)

// save stores the flow's current state.
func (h *Handler) save(r *http.Request, f *Flow, owner *uuid.UUID) error {
	f.UpdatedAt = h.now()
	rec, err := flow.Record(Kind, &f.Base, owner, f)
	if err != nil {
		return apierr.ErrInternal.WithCause(err)
	}
	return h.Flows.UpdateFlow(r.Context(), rec)
}

// invalid shows a rejected submission on the flow: 400 with the flow for JSON callers, back
// to the login UI for browsers. Secrets never travel back.
func (h *Handler) invalid(w http.ResponseWriter, r *http.Request, f *Flow, owner *uuid.UUID, fe *FormError) {
	f.UI.ShowMessages(fe.Messages, fe.Nodes)
	f.UI.Nodes.ClearValues(flow.InputPassword)
	if err := h.save(r, f, owner); err != nil {
		h.fail(w, r, f.Type, err)
		return
	}
	if flow.ReplyJSON(f.Type, r) {
		flow.Reply(w, http.StatusBadRequest, f)
		return
	}
	flow.Redirect(w, r, h.uiURL(f.ID))
}

// succeed signs the identity in: a new session on a first login, the same session refreshed
// or stepped up otherwise.
func (h *Handler) succeed(w http.ResponseWriter, r *http.Request, f *Flow, m Method, sess *session.Session, ident *identity.Identity) {
	ctx := r.Context()
	method := session.AuthenticationMethod{Method: m.ID(), AAL: m.AAL()}
	var token string
	var err error
	switch {
	case sess != nil && f.RequestedAAL == session.AAL2:
		err = h.Sessions.Upgrade(ctx, sess, method)
		token = h.Sessions.TokenFromRequest(r)
	case sess != nil && f.Refresh:
		err = h.Sessions.Refresh(ctx, sess)
		token = h.Sessions.TokenFromRequest(r)
	default:
		sess, token, err = h.Sessions.Issue(ctx, PublicIdentity(h.Public, ident), []session.AuthenticationMethod{method}, session.DeviceFromRequest(r))
	}
	if err != nil {
		h.fail(w, r, f.Type, err)
		return
	}
	sess.Identity = PublicIdentity(h.Public, sess.Identity)
	f.State = StatePassedChallenge
	if err := h.save(r, f, &sess.IdentityID); err != nil {
		flow.Logger(h.Log).WarnContext(ctx, "store completed login flow", "error", err)
	}
	flow.Logger(h.Log).DebugContext(ctx, "login succeeded", "identity_id", sess.IdentityID, "session_id", sess.ID, "method", m.ID())
	if h.Devices != nil && m.AAL() == session.AAL1 {
		h.Devices.Remember(w, ident)
	}

	if f.Type == flow.TypeAPI {
		flow.Reply(w, http.StatusOK, success{SessionToken: token, Session: sess})
		return
	}
	h.Sessions.SetCookie(w, token, sess.ExpiresAt)
	target := h.returnURL(f.ReturnTo)
	if flow.WantsJSON(r) {
		flow.Reply(w, http.StatusOK, success{Session: sess, ContinueWith: []ContinueWith{{Action: "redirect_browser_to", RedirectBrowserTo: target}}})
		return
	}
	flow.Redirect(w, r, target)
}
