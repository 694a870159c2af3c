package admin

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/google/uuid"

	"github.com/portico-auth/portico/internal/apierr"
	"github.com/portico-auth/portico/internal/audit"
	"github.com/portico-auth/portico/internal/httpx"
	"github.com/portico-auth/portico/internal/identity"
	"github.com/portico-auth/portico/internal/store"
)

// Page sizes of listIdentities.
const (
	DefaultPageSize = 250
	MaxPageSize     = 1000
	// maxIDs bounds the ids filter, which is not paginated.
	maxIDs = 500
)

// get is getIdentity.
func (h *IdentityHandler) get(w http.ResponseWriter, r *http.Request) error {
	id, err := identityID(r)
	if err != nil {
		return err
	}
	include := includedCredentials(r.URL.Query())
	ident, err := h.store.GetIdentity(r.Context(), id, len(include) > 0)
	if err != nil {
		return err
	}
	httpx.WriteJSON(w, http.StatusOK, h.render(ident, include))
	return nil
}

// delete is deleteIdentity: 204, or 404 for an unknown identity.
func (h *IdentityHandler) delete(w http.ResponseWriter, r *http.Request) error {
	id, err := identityID(r)
	if err != nil {
		return err
	}
	ctx := h.Audit.WithAdmin(r, audit.New(audit.IdentityDeleted, id, map[string]any{"by": audit.ByAdmin}))
	if err := h.store.DeleteIdentity(ctx, id); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// list is listIdentities: a JSON array and a Link header pointing at the first and next pages.
func (h *IdentityHandler) list(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	size, err := pageSize(q)
	if err != nil {
		return err
	}
	var f store.IdentityFilter
	if ci := q.Get("credentials_identifier"); ci != "" {
		f.CredentialsIdentifier = identity.NormalizeIdentifier(ci)
	}
	if sim := q.Get("preview_credentials_identifier_similar"); sim != "" {
		if f.CredentialsIdentifier != "" {
			return apierr.ErrBadRequest.WithReason("Only one of credentials_identifier and preview_credentials_identifier_similar can be used.")
		}
		f.CredentialsIdentifierSimilar = identity.NormalizeIdentifier(sim)
	}
	for _, v := range q["ids"] {
		for _, part := range strings.Split(v, ",") {
			if part = strings.TrimSpace(part); part == "" {
				continue
			}
			id, err := uuid.Parse(part)
			if err != nil {
				return apierr.ErrBadRequest.WithReason("The ids filter holds a malformed id %q.", part)
			}
			f.IDs = append(f.IDs, id)
		}
	}
	if len(f.IDs) > maxIDs {
		return apierr.ErrBadRequest.WithReason("The ids filter holds more than %d ids.", maxIDs)
	}
	if (f.CredentialsIdentifier != "" || f.CredentialsIdentifierSimilar != "") && len(f.IDs) > 0 {
		return apierr.ErrBadRequest.WithReason("The credentials_identifier and ids filters cannot be combined.")
	}
	p := store.ListParams{PageSize: size, PageToken: q.Get("page_token")}
	if len(f.IDs) > 0 {
		p = store.ListParams{PageSize: maxIDs}
	}
	include := includedCredentials(q)
	var ids []*identity.Identity
	var next string
	if len(include) > 0 {
		// Configs are loaded one identity at a time: the list itself never carries secrets.
		ids, next, err = h.store.ListIdentities(r.Context(), f, p)
		if err == nil {
			for i, id := range ids {
				full, gerr := h.store.GetIdentity(r.Context(), id.ID, true)
				if gerr != nil {
					err = gerr
					break
				}
				ids[i] = full
			}
		}
	} else {
		ids, next, err = h.store.ListIdentities(r.Context(), f, p)
	}
	if err != nil {
		return err
	}
	if len(f.IDs) == 0 {
		w.Header().Set("Link", linkHeader(r.URL, size, next))
	}
	out := make([]*identity.Identity, 0, len(ids))
	for _, id := range ids {
		out = append(out, h.render(id, include))
	}
	httpx.WriteJSON(w, http.StatusOK, out)
	return nil
}

// pageSize reads page_size (or the deprecated per_page).
func pageSize(q url.Values) (int, error) {
	raw := q.Get("page_size")
	if raw == "" {
		raw = q.Get("per_page")
	}
	if raw == "" {
		return DefaultPageSize, nil
	}
	n, err := strconv.Atoi(raw)
	if err != nil || n < 1 {
		return 0, apierr.ErrBadRequest.WithReason("The page size must be a positive integer.")
	}
	if n > MaxPageSize {
		n = MaxPageSize
	}
	return n, nil
}

// linkHeader builds the pagination links the way Kratos does: relative URLs keeping the
// request's other query parameters, rel="first" always, rel="next" when there is a next page.
func linkHeader(u *url.URL, size int, next string) string {
	link := func(token string) string {
		q := u.Query()
		q.Del("per_page")
		q.Del("page")
		q.Set("page_size", strconv.Itoa(size))
		q.Del("page_token")
		if token != "" {
			q.Set("page_token", token)
		}
		return "<" + u.Path + "?" + q.Encode() + ">"
	}
	h := link("") + `; rel="first"`
	if next != "" {
		h += "," + link(next) + `; rel="next"`
	}
	return h
}
