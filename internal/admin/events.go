package admin

import (
	"net/http"

	"github.com/portico-auth/portico/internal/apierr"
	"github.com/portico-auth/portico/internal/audit"
	"github.com/portico-auth/portico/internal/httpx"
	"github.com/portico-auth/portico/internal/store"
)

// events is GET /admin/identities/{id}/events, Portico's own: the identity's audit trail,
// newest first, paged as the other admin lists are (page_size, page_token, a Link header).
// The trail outlives the identity (until audit.retention), so a deleted identity's events are
// listed too; an id with none is an empty list.
func (h *IdentityHandler) events(w http.ResponseWriter, r *http.Request) error {
	httpx.NoStore(w)
	if h.Events == nil {
		return apierr.ErrNotFound.WithReason("The audit trail is not kept.")
	}
	id, err := identityID(r)
	if err != nil {
		return err
	}
	q := r.URL.Query()
	size, err := pageSize(q)
	if err != nil {
		return err
	}
	evs, next, err := h.Events.ListEvents(r.Context(), id, store.ListParams{PageSize: size, PageToken: q.Get("page_token")})
	if err != nil {
		return err
	}
	w.Header().Set("Link", linkHeader(r.URL, size, next))
	if evs == nil {
		evs = []audit.Event{}
	}
	httpx.WriteJSON(w, http.StatusOK, evs)
	return nil
}
