package flow

import (
	"encoding/json"
	"errors"
	"net/http"
	"time"

	"github.com/google/uuid"

	"github.com/portico-auth/portico/internal/apierr"
)

// StoredError is a self-service error as kept for the error UI (Kratos's flowError).
type StoredError struct {
	ID        uuid.UUID     `json:"id"`
	Error     *apierr.Error `json:"error"`
	CreatedAt time.Time     `json:"created_at"`
	UpdatedAt time.Time     `json:"updated_at"`
}

// Save stores ae for the error UI and returns its id.
func (e *Replier) Save(r *http.Request, ae *apierr.Error) (uuid.UUID, error) {
	now := e.Now().UTC()
	if len(ae.Reason) > MaxEchoLength {
		// Whatever a reason quotes, the stored copy stays small (anyone can make one).
		ae = ae.WithReason("%s", Echo(ae.Reason))
	}
	se := StoredError{ID: uuid.New(), Error: ae, CreatedAt: now, UpdatedAt: now}
	data, err := json.Marshal(se)
	if err != nil {
		return uuid.Nil, apierr.ErrInternal.WithCause(err)
	}
	if err := e.Store.CreateError(r.Context(), se.ID, data); err != nil {
		return uuid.Nil, err
	}
	return se.ID, nil
}

// Register adds GET /self-service/errors (getFlowError) to the public mux.
func (e *Replier) Register(mux *http.ServeMux) {
	mux.HandleFunc("GET /self-service/errors", e.JSONHandler(e.serveGet))
}

// stubs answer ?id=stub:<code>, which helps authors of error UIs.
var stubs = map[string]*apierr.Error{
	"stub:500": apierr.ErrInternal.WithReason("This is a stub error."),
	"stub:404": apierr.ErrNotFound.WithReason("This is a stub error."),
	"stub:400": apierr.ErrBadRequest.WithReason("This is a stub error."),
}

func (e *Replier) serveGet(w *Responder, r *http.Request) error {
	raw := r.URL.Query().Get("id")
	if stub, ok := stubs[raw]; ok {
		now := e.Now().UTC()
		return w.Reply(http.StatusOK, map[string]any{"id": raw, "error": stub, "created_at": now, "updated_at": now})
	}
	notFound := apierr.ErrNotFound.WithReason("The requested error could not be found.")
	id, err := uuid.Parse(raw)
	if err != nil {
		return notFound
	}
	data, err := e.Store.GetError(r.Context(), id)
	if errors.Is(err, apierr.ErrNotFound) {
		return notFound
	}
	if err != nil {
		return err
	}
	ReplyEncoded(w, http.StatusOK, data)
	return nil
}
