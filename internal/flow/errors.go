package flow

import (
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"time"

	"github.com/google/uuid"

	"github.com/portico-auth/portico/internal/apierr"
	"github.com/portico-auth/portico/internal/httpx"
	"github.com/portico-auth/portico/internal/store"
)

// ErrorWriter is the one place flow handlers send errors to: JSON callers get Kratos's error
// JSON, browsers are sent to the error UI (selfservice.flows.error.ui_url) with ?id= of the
// stored error, or to the error's redirect_browser_to when it has one.
type ErrorWriter struct {
	Store      store.Errors
	ErrorUIURL string
	Now        func() time.Time
	// Log receives server-side failures; slog.Default() when nil.
	Log *slog.Logger
}

// StoredError is a self-service error as kept for the error UI (Kratos's flowError).
type StoredError struct {
	ID        uuid.UUID     `json:"id"`
	Error     *apierr.Error `json:"error"`
	CreatedAt time.Time     `json:"created_at"`
	UpdatedAt time.Time     `json:"updated_at"`
}

func (e *ErrorWriter) now() time.Time {
	if e.Now != nil {
		return e.Now().UTC()
	}
	return time.Now().UTC()
}

// Write answers r with err.
func (e *ErrorWriter) Write(w http.ResponseWriter, r *http.Request, err error) {
	// A browser that went away gets no error page: storing one would fail on the cancelled
	// context and be logged as a server error.
	if WantsJSON(r) || httpx.ClientGone(r) {
		httpx.WriteError(w, r, err)
		return
	}
	ae := apierr.From(err)
	if ae.RedirectBrowserTo != "" {
		Redirect(w, r, ae.RedirectBrowserTo)
		return
	}
	if ae.Code >= 500 {
		Logger(e.Log).ErrorContext(r.Context(), "request failed", "error", err, "method", r.Method, "path", r.URL.Path)
	}
	if e.Store == nil || e.ErrorUIURL == "" {
		httpx.WriteError(w, r, err)
		return
	}
	id, serr := e.Save(r, ae)
	if serr != nil {
		Logger(e.Log).ErrorContext(r.Context(), "store self-service error", "error", serr)
		httpx.WriteError(w, r, serr)
		return
	}
	Redirect(w, r, AppendQuery(e.ErrorUIURL, "id", id.String()))
}

// Save stores ae for the error UI and returns its id.
func (e *ErrorWriter) Save(r *http.Request, ae *apierr.Error) (uuid.UUID, error) {
	now := e.now()
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
func (e *ErrorWriter) Register(mux *http.ServeMux) {
	mux.HandleFunc("GET /self-service/errors", e.serveGet)
}

// stubs answer ?id=stub:<code>, which helps authors of error UIs.
var stubs = map[string]*apierr.Error{
	"stub:500": apierr.ErrInternal.WithReason("This is a stub error."),
	"stub:404": apierr.ErrNotFound.WithReason("This is a stub error."),
	"stub:400": apierr.ErrBadRequest.WithReason("This is a stub error."),
}

func (e *ErrorWriter) serveGet(w http.ResponseWriter, r *http.Request) {
	raw := r.URL.Query().Get("id")
	if stub, ok := stubs[raw]; ok {
		now := e.now()
		Reply(w, http.StatusOK, map[string]any{"id": raw, "error": stub, "created_at": now, "updated_at": now})
		return
	}
	notFound := apierr.ErrNotFound.WithReason("The requested error could not be found.")
	id, err := uuid.Parse(raw)
	if err != nil {
		httpx.WriteError(w, r, notFound)
		return
	}
	data, err := e.Store.GetError(r.Context(), id)
	if errors.Is(err, apierr.ErrNotFound) {
		httpx.WriteError(w, r, notFound)
		return
	}
	if err != nil {
		httpx.WriteError(w, r, err)
		return
	}
	httpx.NoStore(w)
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(data)
}
