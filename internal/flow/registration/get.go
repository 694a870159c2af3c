package registration

import (
	"net/http"

	"github.com/portico-auth/portico/internal/flow"
)

// get answers getRegistrationFlow: always JSON, as the SDKs call it.
func (h *Handler) get(w *flow.Responder, r *http.Request) error {
	if !h.Enabled {
		return ErrDisabled
	}
	return h.Get(w, r, &Flow{})
}
