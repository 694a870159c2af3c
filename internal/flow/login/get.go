package login

import (
	"net/http"

	"github.com/portico-auth/portico/internal/flow"
)

// get answers getLoginFlow: always JSON, as the SDKs call it.
func (h *Handler) get(w *flow.Responder, r *http.Request) error {
	return h.Get(w, r, &Flow{})
}
