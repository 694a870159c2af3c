package login

import (
	"context"
	"net/http"

	"github.com/portico-auth/portico/internal/flow"
	"github.com/portico-auth/portico/internal/identity"
	"github.com/portico-auth/portico/internal/session"
	"github.com/portico-auth/portico/internal/text"
)

// A refresh login asks for every factor the identity has (issue 18: Kratos's refresh asks
// for the first factor only). Once the first factor is proved the session records it, and
// when the identity has a second factor it can use, the same flow becomes that factor's step
// (requested_aal aal2, the second factors' nodes, message 1010004) instead of finishing; its
// submission completes the refresh as an aal2 step-up does. What counts as a fresh
// authentication for privileged changes is session.Manager.Privileged: a first factor and,
// for such an identity, a second factor, both recent; this flow is how a person gets there.

// secondStepIdentity returns the identity (with credentials) of refresh flow f when the first
// factor method m just proved for sess must be followed by a second factor; nil otherwise.
func (h *Handler) secondStepIdentity(ctx context.Context, f *Flow, m Method, sess *session.Session) (*identity.Identity, error) {
	if sess == nil || !f.Refresh || f.RequestedAAL == session.AAL2 || m.AAL() != session.AAL1 {
		return nil, nil
	}
	ident, err := h.Identities.GetIdentity(ctx, sess.IdentityID, true)
	if err != nil {
		return nil, err
	}
	if h.Sessions.HighestAAL(ident) != session.AAL2 {
		return nil, nil
	}
	return ident, nil
}

// secondStep turns refresh flow f into its second-factor step for ident, stores it and shows
// it: the flow for JSON callers (200), the login UI for browsers. Of the first step's nodes
// only the CSRF token stays.
func (h *Handler) secondStep(w *flow.Responder, r *http.Request, f *Flow, ident *identity.Identity) error {
	ctx := r.Context()
	kept := f.UI.Nodes[:0]
	for _, n := range f.UI.Nodes {
		if in := n.Input(); in != nil && n.Group == flow.GroupDefault && in.Name == "csrf_token" {
			kept = append(kept, n)
		}
	}
	clear(f.UI.Nodes[len(kept):])
	f.UI.Nodes = kept
	f.RequestedAAL = session.AAL2
	if _, err := h.offer(ctx, f, ident); err != nil {
		return err
	}
	f.UI.ResetMessages()
	f.UI.AddMessage(text.NewLoginMFA())
	if err := h.Save(ctx, f, &ident.ID); err != nil {
		return err
	}
	return w.Show(http.StatusOK, f, h.UI(f.ID))
}
