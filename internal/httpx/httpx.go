// Package httpx holds the small pieces every HTTP handler shares: writing JSON and error
// replies in Kratos's shapes, reading JSON bodies, and the no-store cache policy.
package httpx

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/portico-auth/portico/internal/apierr"
)

// NoStore marks a reply as never to be cached (every reply carrying a token or a flow), and
// as depending on the caller's Origin and cookies, as Kratos marks its flow and error replies
// (Vary: Origin, Vary: Cookie).
func NoStore(w http.ResponseWriter) {
	h := w.Header()
	h.Set("Cache-Control", "private, no-cache, no-store, must-revalidate")
	if len(h["Vary"]) == 0 {
		h["Vary"] = []string{"Origin", "Cookie"} // one allocation, not an Add and its growth
		return
	}
	addVary(h, "Origin")
	addVary(h, "Cookie")
}

func addVary(h http.Header, name string) {
	for _, v := range h.Values("Vary") {
		for _, p := range strings.Split(v, ",") {
			if strings.EqualFold(strings.TrimSpace(p), name) {
				return
			}
		}
	}
	h.Add("Vary", name)
}

// WriteJSON writes v as JSON with the given status.
func WriteJSON(w http.ResponseWriter, status int, v any) {
	writeJSON(w, status, v, "application/json; charset=utf-8")
}

// writeJSON writes v with the given Content-Type: Kratos names the charset on its flow and
// object replies but not on its error replies.
func writeJSON(w http.ResponseWriter, status int, v any, contentType string) {
	b, err := json.Marshal(v)
	if err != nil {
		NoteError(w, fmt.Errorf("encode reply: %w", err))
		status, b = http.StatusInternalServerError, []byte(`{"error":{"code":500,"status":"Internal Server Error","message":"An internal server error occurred, please contact the system administrator"}}`)
	}
	w.Header().Set("Content-Type", contentType)
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

// errorBody is Kratos's error reply: {"error":{…}} and, for some errors, redirect_browser_to
// or CredentialsMissing (Kratos's spelling) beside it.
type errorBody struct {
	Error              *apierr.Error `json:"error"`
	RedirectBrowserTo  string        `json:"redirect_browser_to,omitempty"`
	CredentialsMissing *bool         `json:"CredentialsMissing,omitempty"`
}

// WriteError writes err as Kratos's error JSON. Errors outside the vocabulary become a 500
// whose cause is never sent: it is noted on w (NoteError) for the server to log.
func WriteError(w http.ResponseWriter, r *http.Request, err error) {
	NoteError(w, err)
	if ClientGone(r) {
		w.WriteHeader(StatusClientClosedRequest)
		return
	}
	e := apierr.From(err)
	if e.ID != "" {
		w.Header().Set("Ory-Error-Id", e.ID)
	}
	NoStore(w)
	writeJSON(w, e.Code, errorBody{Error: e, RedirectBrowserTo: e.RedirectBrowserTo, CredentialsMissing: e.CredentialsMissing}, "application/json")
}

// MaxBodyBytes is the largest request body Portico reads.
const MaxBodyBytes = 1 << 20

// DecodeJSON reads a JSON request body into v. A body over MaxBodyBytes is ErrTooLarge; a body
// that breaks DefaultLimits (checked on the raw bytes, before anything is decoded) or is not
// valid JSON for v is ErrBadRequest with the complaint as reason.
func DecodeJSON(r *http.Request, v any) error {
	data, err := io.ReadAll(http.MaxBytesReader(nil, r.Body, MaxBodyBytes))
	if err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			return apierr.ErrTooLarge.WithReason("The request body exceeds %d bytes.", MaxBodyBytes)
		}
		return apierr.ErrBadRequest.WithReason("Unable to read the request body.").WithCause(err)
	}
	if len(bytes.TrimSpace(data)) == 0 {
		return apierr.ErrBadRequest.WithReason("The request body is empty.")
	}
	if err := DefaultLimits.CheckJSON(data); err != nil {
		return err
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	if err := dec.Decode(v); err != nil {
		return apierr.ErrBadRequest.WithReason("Unable to decode JSON body: %s", strings.TrimPrefix(err.Error(), "json: "))
	}
	return nil
}

// HandlerFunc is an API handler that returns its error instead of writing it: ServeHTTP writes
// a returned error with WriteError, so that a handler has one way to fail.
type HandlerFunc func(w http.ResponseWriter, r *http.Request) error

// ServeHTTP calls f and writes the error it returns, if any.
func (f HandlerFunc) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if err := f(w, r); err != nil {
		WriteError(w, r, err)
	}
}
