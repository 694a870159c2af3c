// Package sessionapi serves Kratos's session endpoints: whoami and the caller's own sessions on
// the public API, and listing, extending and revoking any session on the admin API.
package sessionapi

import (
	"context"
	"net/http"

	"github.com/google/uuid"

	"github.com/portico-auth/portico/internal/apierr"
	"github.com/portico-auth/portico/internal/audit/audithttp"
	"github.com/portico-auth/portico/internal/httpx"
	"github.com/portico-auth/portico/internal/identity"
	"github.com/portico-auth/portico/internal/session"
	"github.com/portico-auth/portico/internal/session/sessionhttp"
	"github.com/portico-auth/portico/internal/store"
)

// Store is what the handlers read and change directly; store.Store satisfies it.
type Store interface {
	GetSession(ctx context.Context, id uuid.UUID) (*session.Session, error)
	ListSessions(ctx context.Context, identityID uuid.UUID, active *bool, p store.ListParams) ([]*session.Session, string, error)
	RevokeSession(ctx context.Context, identityID, sessionID uuid.UUID) error
	RevokeSessionsExcept(ctx context.Context, identityID, keep uuid.UUID) (int, error)
	GetIdentity(ctx context.Context, id uuid.UUID, withCredentials bool) (*identity.Identity, error)
}

// Handler serves the session endpoints.
type Handler struct {
	mgr           *sessionhttp.Sessions
	store         Store
	publicBaseURL string
	// Audit records each revocation in the revoking write (nil records nothing).
	Audit *audithttp.Recorder
}

// New returns the session handlers. publicBaseURL is where browsers are sent to step up to
// aal2 (e.g. "http://127.0.0.1:4433").
func New(mgr *sessionhttp.Sessions, st Store, publicBaseURL string) *Handler {
	return &Handler{mgr: mgr, store: st, publicBaseURL: publicBaseURL}
}

// RegisterPublic adds the public endpoints to mux.
func (h *Handler) RegisterPublic(mux *http.ServeMux) {
	mux.Handle("GET /sessions/whoami", httpx.HandlerFunc(h.whoami))
	mux.Handle("GET /sessions", httpx.HandlerFunc(h.listMine))
	mux.Handle("DELETE /sessions", httpx.HandlerFunc(h.revokeMyOthers))
	mux.Handle("DELETE /sessions/{id}", httpx.HandlerFunc(h.revokeMine))
}

// RegisterAdmin adds the admin endpoints to mux.
func (h *Handler) RegisterAdmin(mux *http.ServeMux) {
	mux.Handle("GET /admin/sessions", httpx.HandlerFunc(h.adminList))
	mux.Handle("GET /admin/sessions/{id}", httpx.HandlerFunc(h.adminGet))
	mux.Handle("PATCH /admin/sessions/{id}/extend", httpx.HandlerFunc(h.adminExtend))
	mux.Handle("DELETE /admin/sessions/{id}", httpx.HandlerFunc(h.adminDisable))
	mux.Handle("GET /admin/identities/{id}/sessions", httpx.HandlerFunc(h.adminListIdentity))
	mux.Handle("DELETE /admin/identities/{id}/sessions", httpx.HandlerFunc(h.adminRevokeIdentity))
}

// pathID parses the {id} path value; a malformed one is a 400 as in Kratos.
func pathID(r *http.Request, what string) (uuid.UUID, error) {
	id, err := uuid.Parse(r.PathValue("id"))
	if err != nil {
		return uuid.Nil, apierr.ErrBadRequest.WithReason("The %s ID is not a valid UUID.", what)
	}
	return id, nil
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	httpx.NoStore(w)
	httpx.WriteJSON(w, status, v)
}
