package sessionapi

import (
	"errors"
	"net/http"

	"github.com/google/uuid"

	"github.com/portico-auth/portico/internal/apierr"
	"github.com/portico-auth/portico/internal/audit"
)

// adminList answers listSessions: every session, filtered by ?active=, expanded per ?expand=.
func (h *Handler) adminList(w http.ResponseWriter, r *http.Request) error {
	return h.list(w, r, uuid.Nil, 1000)
}

// adminListIdentity answers listIdentitySessions; an unknown identity is 404.
func (h *Handler) adminListIdentity(w http.ResponseWriter, r *http.Request) error {
	id, err := h.knownIdentity(r)
	if err != nil {
		return err
	}
	return h.list(w, r, id, 500)
}

func (h *Handler) list(w http.ResponseWriter, r *http.Request, identityID uuid.UUID, maxSize int) error {
	p, err := parsePage(r, maxSize)
	if err != nil {
		return err
	}
	active, err := parseActive(r)
	if err != nil {
		return err
	}
	e := expandAll
	if identityID == uuid.Nil {
		if e, err = parseExpand(r.URL.Query()["expand"]); err != nil {
			return err
		}
	}
	list, next, err := h.store.ListSessions(r.Context(), identityID, active, p)
	if err != nil {
		return err
	}
	setLink(w, r, p, next)
	writeJSON(w, http.StatusOK, h.renderAll(list, e))
	return nil
}

// adminGet answers getSession, expanded per ?expand=.
func (h *Handler) adminGet(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "session")
	if err != nil {
		return err
	}
	e, err := parseExpand(r.URL.Query()["expand"])
	if err != nil {
		return err
	}
	s, err := h.store.GetSession(r.Context(), id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, h.render(s, e))
	return nil
}

// adminExtend answers extendSession: a full lifespan from now when earliest_possible_extend
// allows it, otherwise the session unchanged. An unknown session is 404, and so is one that can
// no longer be used (revoked, expired, or of an inactive identity), as Kratos answers for a
// session it will not extend: an extension never revives a session.
func (h *Handler) adminExtend(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "session")
	if err != nil {
		return err
	}
	s, err := h.store.GetSession(r.Context(), id)
	if err != nil {
		return err
	}
	if _, err := h.mgr.Extend(r.Context(), s); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, h.render(s, expandAll))
	return nil
}

// adminDisable answers disableSession: the session is deactivated, its data kept.
func (h *Handler) adminDisable(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "session")
	if err != nil {
		return err
	}
	ctx := r.Context()
	if h.Audit != nil {
		// The trail is kept per identity, so the session's identity is read first.
		s, err := h.store.GetSession(ctx, id)
		if err != nil {
			return err
		}
		ctx = h.Audit.WithAdmin(r, audit.New(audit.SessionRevoked, s.IdentityID, map[string]any{"by": audit.ByAdmin}).WithSession(id))
	}
	if err := h.store.RevokeSession(ctx, uuid.Nil, id); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// adminRevokeIdentity answers deleteIdentitySessions: every session of the identity ends.
func (h *Handler) adminRevokeIdentity(w http.ResponseWriter, r *http.Request) error {
	id, err := h.knownIdentity(r)
	if err != nil {
		return err
	}
	ctx := h.Audit.WithAdmin(r, audit.New(audit.SessionRevoked, id, map[string]any{"by": audit.ByAdmin, "all": true}))
	if _, err := h.store.RevokeSessionsExcept(ctx, id, uuid.Nil); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// knownIdentity parses the {id} path value and checks that the identity exists.
func (h *Handler) knownIdentity(r *http.Request) (uuid.UUID, error) {
	id, err := pathID(r, "identity")
	if err != nil {
		return uuid.Nil, err
	}
	if _, err := h.store.GetIdentity(r.Context(), id, false); err != nil {
		if errors.Is(err, apierr.ErrNotFound) {
			return uuid.Nil, apierr.ErrNotFound.WithReason("Unable to locate the identity %s.", id)
		}
		return uuid.Nil, err
	}
	return id, nil
}
