package sessionapi

import (
	"net/http"
	"net/url"
	"strconv"

	"github.com/portico-auth/portico/internal/apierr"
	"github.com/portico-auth/portico/internal/store"
)

const defaultPageSize = 250

// parsePage reads page_size (or the deprecated per_page) and page_token.
func parsePage(r *http.Request, maxSize int) (store.ListParams, error) {
	q := r.URL.Query()
	p := store.ListParams{PageSize: defaultPageSize, PageToken: q.Get("page_token")}
	raw := q.Get("page_size")
	if raw == "" {
		raw = q.Get("per_page")
	}
	if raw != "" {
		n, err := strconv.Atoi(raw)
		if err != nil || n < 1 || n > maxSize {
			return p, apierr.ErrBadRequest.WithReason("The page_size must be a number between 1 and %d.", maxSize)
		}
		p.PageSize = n
	}
	return p, nil
}

// parseActive reads the optional ?active= filter.
func parseActive(r *http.Request) (*bool, error) {
	raw := r.URL.Query().Get("active")
	if raw == "" {
		return nil, nil
	}
	b, err := strconv.ParseBool(raw)
	if err != nil {
		return nil, apierr.ErrBadRequest.WithReason("The active filter must be true or false.")
	}
	return &b, nil
}

// setLink writes the keyset pagination Link header: the first page, and the next one when
// there is one, keeping the request's other query parameters.
func setLink(w http.ResponseWriter, r *http.Request, p store.ListParams, next string) {
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	if fp := r.Header.Get("X-Forwarded-Proto"); fp == "http" || fp == "https" {
		scheme = fp
	}
	link := func(token string) string {
		q := r.URL.Query()
		q.Del("page")
		q.Del("per_page")
		q.Set("page_size", strconv.Itoa(p.PageSize))
		q.Del("page_token")
		if token != "" {
			q.Set("page_token", token)
		}
		u := url.URL{Scheme: scheme, Host: r.Host, Path: r.URL.Path, RawQuery: q.Encode()}
		return "<" + u.String() + ">"
	}
	v := link("") + `; rel="first"`
	if next != "" {
		v += "," + link(next) + `; rel="next"`
	}
	w.Header().Set("Link", v)
}
