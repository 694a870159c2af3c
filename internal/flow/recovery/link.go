package recovery

import (
	"net/http"

	"github.com/portico-auth/portico/internal/flow"
	"github.com/portico-auth/portico/internal/store"
)

// unlinked answers GET /self-service/recovery?flow=<id> without a token: the link of an admin's
// code. The browser is given its CSRF token on the flow (an admin's flow was made without it)
// and sent to the flow's page.
func (h *Handler) unlinked(w *flow.Responder, r *http.Request, f *Flow, rec *store.FlowRecord) error {
	if f.Type == flow.TypeBrowser && f.State != StatePassedChallenge {
		f.UI.Nodes.SetValue("csrf_token", h.CSRF.Token(w, r))
		if err := h.Save(r.Context(), f, rec.IdentityID); err != nil {
			return err
		}
	}
	return w.Show(http.StatusOK, f, h.UI(f.ID))
}
