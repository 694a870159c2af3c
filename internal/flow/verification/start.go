package verification

import (
	"net/http"

	"github.com/portico-auth/portico/internal/flow"
	"github.com/portico-auth/portico/internal/identity"
)

// Start begins the verification of a new identity's unverified email addresses (after a
// registration): for each, a flow of w's type already in sent_email, its message queued, and the
// continue_with item show_verification_ui pointing to it (with the flow's page for browser
// flows). With the flow turned off it does nothing.
func (h *Handler) Start(w *flow.Responder, r *http.Request, ident *identity.Identity, returnTo string) ([]flow.ContinueWith, error) {
	return h.start(w, r, ident, returnTo, func(identity.VerifiableAddress) bool { return true })
}

// StartChanged begins, as Start does, the verification of the unverified email addresses that
// after has and before had not: a settings change that added an address or changed one (Kratos's
// verification hook of the settings flow). An address that stays is left alone.
func (h *Handler) StartChanged(w *flow.Responder, r *http.Request, before, after *identity.Identity, returnTo string) ([]flow.ContinueWith, error) {
	return h.start(w, r, after, returnTo, func(a identity.VerifiableAddress) bool {
		if before == nil {
			return true
		}
		for _, b := range before.VerifiableAddresses {
			if b.Via == a.Via && b.Value == a.Value {
				return false
			}
		}
		return true
	})
}

// start begins the verification of ident's unverified email addresses that want accepts.
func (h *Handler) start(w *flow.Responder, r *http.Request, ident *identity.Identity, returnTo string, want func(identity.VerifiableAddress) bool) ([]flow.ContinueWith, error) {
	if !h.Enabled || ident == nil {
		return nil, nil
	}
	ctx := r.Context()
	s := h.spec()
	var out []flow.ContinueWith
	for _, a := range ident.VerifiableAddresses {
		if a.Verified || a.Via != "email" || !want(a) {
			continue
		}
		f := h.newFlow(w, r, returnTo)
		h.Sent(s, f, h.Use, a.Value)
		if err := h.Create(ctx, f, nil); err != nil {
			return nil, err
		}
		if err := h.Dispatch(ctx, s, f, h.Use, ident, a.Value); err != nil {
			return nil, err
		}
		item := flow.ContinueWithFlow{ID: f.ID, VerifiableAddress: a.Value}
		if f.Type == flow.TypeBrowser {
			item.URL = h.UI(f.ID)
		}
		out = append(out, flow.ShowFlow("verification", item))
	}
	return out, nil
}
