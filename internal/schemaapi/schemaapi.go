// Package schemaapi serves the identity schemas on the public listener: GET /schemas (the
// list) and GET /schemas/{id}, where the id is the plain schema id or its base64url form (the
// form used in an identity's schema_url).
package schemaapi

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"strconv"

	"github.com/portico-auth/portico/internal/apierr"
	"github.com/portico-auth/portico/internal/httpx"
	"github.com/portico-auth/portico/internal/schema"
)

// Schemas lists and finds identity schemas (satisfied by *schema.Registry).
type Schemas interface {
	Get(id string) (*schema.Schema, error)
	List() []*schema.Schema
}

// Handler serves the schema endpoints.
type Handler struct {
	schemas Schemas
}

// New returns the schema endpoints.
func New(schemas Schemas) *Handler { return &Handler{schemas: schemas} }

// Register adds the routes to mux.
func (h *Handler) Register(mux *http.ServeMux) {
	mux.Handle("GET /schemas", httpx.HandlerFunc(h.list))
	mux.Handle("GET /schemas/{id}", httpx.HandlerFunc(h.get))
}

// container is identitySchemaContainer.
type container struct {
	ID     string          `json:"id"`
	Schema json.RawMessage `json:"schema"`
}

const (
	defaultPageSize = 250
	maxPageSize     = 1000
)

// list is listIdentitySchemas. Schemas are few; page_size and page_token (an offset) are
// honoured so that generated clients that page do not loop.
func (h *Handler) list(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	size := defaultPageSize
	for _, key := range []string{"page_size", "per_page"} {
		if v := q.Get(key); v != "" {
			n, err := strconv.Atoi(v)
			if err != nil || n < 1 {
				return apierr.ErrBadRequest.WithReason("The page size must be a positive integer.")
			}
			size = min(n, maxPageSize)
			break
		}
	}
	offset := 0
	if v := q.Get("page_token"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			return apierr.ErrBadRequest.WithReason("The page token is invalid.")
		}
		offset = n
	}
	all := h.schemas.List()
	out := []container{}
	for i := offset; i < len(all) && i < offset+size; i++ {
		out = append(out, container{ID: all[i].ID, Schema: all[i].Raw})
	}
	link := `</schemas?page_size=` + strconv.Itoa(size) + `&page_token=0>; rel="first"`
	if offset+size < len(all) {
		link += `,</schemas?page_size=` + strconv.Itoa(size) + `&page_token=` + strconv.Itoa(offset+size) + `>; rel="next"`
	}
	w.Header().Set("Link", link)
	httpx.WriteJSON(w, http.StatusOK, out)
	return nil
}

// get is getIdentitySchema: the raw schema document.
func (h *Handler) get(w http.ResponseWriter, r *http.Request) error {
	id := r.PathValue("id")
	s, err := h.schemas.Get(id)
	if errors.Is(err, apierr.ErrNotFound) {
		if dec, derr := base64.RawURLEncoding.DecodeString(id); derr == nil {
			s, err = h.schemas.Get(string(dec))
		} else if dec, derr := base64.URLEncoding.DecodeString(id); derr == nil {
			s, err = h.schemas.Get(string(dec))
		}
	}
	if err != nil {
		if errors.Is(err, apierr.ErrNotFound) {
			err = apierr.ErrNotFound.WithReason("The requested identity schema does not exist.").WithCause(err)
		}
		return err
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(s.Raw)
	return nil
}
