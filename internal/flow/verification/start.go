package verification

import (
	"errors"
	"net/http"

	"github.com/portico-auth/portico/internal/apierr"
	"github.com/portico-auth/portico/internal/flow"
	"github.com/portico-auth/portico/internal/identity"
	"github.com/portico-auth/portico/internal/onetime"
)

// Start begins the verification of a new identity's unverified email addresses (after a
// registration): for each, a flow of w's type already in sent_email, its message queued, and the
// continue_with item show_verification_ui pointing to it (with the flow's page for browser
// flows). With the flow turned off it does nothing.
func (h *Handler) Start(w *flow.Responder, r *http.Request, ident *identity.Identity, returnTo string) ([]flow.ContinueWith, error) {
	if !h.Enabled || ident == nil {
		return nil, nil
	}
	ctx := r.Context()
	var out []flow.ContinueWith
	for _, a := range ident.VerifiableAddresses {
		if a.Verified || a.Via != "email" {
			continue
		}
		f, err := h.newFlow(w, r, returnTo)
		if err != nil {
			return nil, err
		}
		h.sent(f, h.Use, a.Value)
		if err := h.Create(ctx, f, nil); err != nil {
			return nil, err
		}
		d := onetime.Dispatch{Purpose: onetime.PurposeVerification, Method: h.Use, FlowID: f.ID, Via: a.Via,
			Address: a.Value, Identity: ident, RequestURL: f.RequestURL, URL: h.codeURL(f)}
		if h.Use == onetime.MethodLink {
			d.URL = h.tokenURL(f)
		}
		if err := h.Codes.Send(ctx, h.Mail, d); err != nil {
			return nil, err
		}
		if err := h.Addresses.SetAddressStatus(ctx, ident.ID, a.Via, a.Value, "sent", h.Time()); err != nil && !errors.Is(err, apierr.ErrNotFound) {
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
