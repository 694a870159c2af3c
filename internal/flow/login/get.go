package login

import (
	"errors"
	"net/http"

	"github.com/google/uuid"

	"github.com/portico-auth/portico/internal/apierr"
	"github.com/portico-auth/portico/internal/flow"
	"github.com/portico-auth/portico/internal/httpx"
	"github.com/portico-auth/portico/internal/store"
)

// load finds a login flow by id; an unknown or malformed id is ErrFlowNotFound.
func (h *Handler) load(r *http.Request, raw string) (*Flow, *store.FlowRecord, error) {
	id, err := uuid.Parse(raw)
	if err != nil {
		return nil, nil, ErrFlowNotFound
	}
	rec, err := h.Flows.GetFlow(r.Context(), Kind, id)
	if errors.Is(err, apierr.ErrNotFound) {
		return nil, nil, ErrFlowNotFound
	}
	if err != nil {
		return nil, nil, err
	}
	f := &Flow{}
	if err := flow.Decode(rec, f); err != nil {
		return nil, nil, apierr.ErrInternal.WithCause(err)
	}
	return f, rec, nil
}

// get answers getLoginFlow: always JSON, as the SDKs call it.
func (h *Handler) get(w http.ResponseWriter, r *http.Request) {
	f, _, err := h.load(r, r.URL.Query().Get("id"))
	if err != nil {
		httpx.WriteError(w, r, err)
		return
	}
	if f.Expired(h.now()) {
		httpx.WriteError(w, r, f.GoneForRead(h.Public, "login"))
		return
	}
	flow.Reply(w, http.StatusOK, f)
}
