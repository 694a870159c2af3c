package sessionapi

import (
	"errors"
	"net/http"

	"github.com/portico-auth/portico/internal/apierr"
	"github.com/portico-auth/portico/internal/audit"
	"github.com/portico-auth/portico/internal/session"
)

// authorize applies the session layer's one rule to every public session route: an active
// session meeting session.whoami.required_aal. Listing and revoking sessions reveal devices
// and end the owner's stronger sessions, so they need exactly what whoami needs. When the
// rule refuses, the refusal is the error.
func (h *Handler) authorize(r *http.Request) (*session.Session, error) {
	return h.mgr.Authorize(r.Context(), r, h.mgr.Options().WhoamiRequiredAAL, "")
}

// errWhoamiUnauthorized is Kratos's toSession reply for a request without an active session
// (no credential, an unknown, revoked or expired one): a plain 401 without an error id,
// unlike the session_inactive of the self-service routes.
var errWhoamiUnauthorized = apierr.ErrUnauthorized.
	WithReason("No valid session credentials found in the request.").
	WithMessage("The request could not be authorized")

// whoami answers toSession: the caller's session with its identity, if it is active and
// strong enough for session.whoami.required_aal.
func (h *Handler) whoami(w http.ResponseWriter, r *http.Request) error {
	s, err := h.authorize(r)
	if errors.Is(err, session.ErrNoActiveSession) {
		err = errWhoamiUnauthorized.WithCause(err)
	}
	if err != nil {
		return err
	}
	w.Header().Set("X-Kratos-Authenticated-Identity-Id", s.IdentityID.String())
	writeJSON(w, http.StatusOK, h.render(s, expandPublic))
	return nil
}

// listMine answers listMySessions: the caller's other active sessions, newest first. A page
// that held the current session is one shorter; the Link header still leads on.
func (h *Handler) listMine(w http.ResponseWriter, r *http.Request) error {
	s, err := h.authorize(r)
	if err != nil {
		return err
	}
	p, err := parsePage(r, 500)
	if err != nil {
		return err
	}
	active := true
	list, next, err := h.store.ListSessions(r.Context(), s.IdentityID, &active, p)
	if err != nil {
		return err
	}
	now := h.mgr.Now()
	others := make([]*session.Session, 0, len(list))
	for _, o := range list {
		if o.ID != s.ID && o.IsActive(now) {
			others = append(others, o)
		}
	}
	setLink(w, r, p, next)
	writeJSON(w, http.StatusOK, h.renderAll(others, expandPublic))
	return nil
}

// revokeMyOthers answers disableMyOtherSessions with the number of sessions revoked.
func (h *Handler) revokeMyOthers(w http.ResponseWriter, r *http.Request) error {
	s, err := h.authorize(r)
	if err != nil {
		return err
	}
	ctx := h.Audit.With(r, audit.New(audit.SessionRevoked, s.IdentityID, map[string]any{"by": audit.BySelf, "others": true}).WithSession(s.ID))
	n, err := h.store.RevokeSessionsExcept(ctx, s.IdentityID, s.ID)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]int{"count": n})
	return nil
}

// revokeMine answers disableMySession: another of the caller's sessions is revoked; the
// current one cannot be (that is what logout is for), and someone else's is not found.
func (h *Handler) revokeMine(w http.ResponseWriter, r *http.Request) error {
	s, err := h.authorize(r)
	if err != nil {
		return err
	}
	id, err := pathID(r, "session")
	if err != nil {
		return err
	}
	if id == s.ID {
		return apierr.ErrBadRequest.WithReason("You are not allowed to revoke your current session; use the logout flow instead.")
	}
	ctx := h.Audit.With(r, audit.New(audit.SessionRevoked, s.IdentityID, map[string]any{"by": audit.BySelf}).WithSession(id))
	if err := h.store.RevokeSession(ctx, s.IdentityID, id); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
