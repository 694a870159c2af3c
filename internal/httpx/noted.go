package httpx

import "net/http"

// ErrorNoter is a ResponseWriter that keeps the error a reply was written for: the server's
// instrumenting writer, which logs it once per request, with the request's id, through the
// server's logger. Nothing in this package logs on its own.
type ErrorNoter interface {
	NoteError(err error)
}

// NoteError hands err to the first writer in w's Unwrap chain that keeps errors (none: it is
// dropped, as in a handler tested without the server around it).
func NoteError(w http.ResponseWriter, err error) {
	for w != nil {
		if n, ok := w.(ErrorNoter); ok {
			n.NoteError(err)
			return
		}
		u, ok := w.(interface{ Unwrap() http.ResponseWriter })
		if !ok {
			return
		}
		w = u.Unwrap()
	}
}
