package server

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"runtime/debug"
	"time"

	"github.com/portico-auth/portico/internal/admin"
	"github.com/portico-auth/portico/internal/apierr"
	"github.com/portico-auth/portico/internal/httpx"
)

// statusWriter remembers the status a handler wrote and the error its reply was for
// (httpx.NoteError), which the request's log line reports.
type statusWriter struct {
	http.ResponseWriter
	status int
	wrote  bool
	err    error
}

// NoteError keeps the error a reply was written for (the first one).
func (w *statusWriter) NoteError(err error) {
	if w.err == nil {
		w.err = err
	}
}

func (w *statusWriter) WriteHeader(code int) {
	if !w.wrote {
		w.status, w.wrote = code, true
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if !w.wrote {
		w.status, w.wrote = http.StatusOK, true
	}
	return w.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the underlying writer.
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

func newRequestID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// errorWriter answers a request with an error: Kratos's error JSON, or the error page for a
// browser (satisfied by *flow.Replier).
type errorWriter interface {
	Write(w http.ResponseWriter, r *http.Request, err error)
}

// checkEdge refuses a request whose path or query parameters hold invalid UTF-8 or a NUL byte,
// before any handler reads them: no identifier, token, id or URL contains either, and
// PostgreSQL refuses both with an error that used to surface as a 500.
func checkEdge(r *http.Request) error {
	if err := httpx.CheckText(r.URL.Path); err != nil {
		return err
	}
	if r.URL.RawQuery == "" {
		return nil
	}
	// Unparsable pairs are left to the handlers, which see the same parse (and ignore them).
	q, _ := url.ParseQuery(r.URL.RawQuery)
	return httpx.CheckValues(q)
}

// instrument wraps a listener's mux with what every request gets: a request id, a bounded
// body, hostile bytes in the path and query refused (through errs; nil writes error JSON),
// panic recovery, a log line and metrics. Logged: method, path (never the query, which may
// carry tokens), status, duration, request id.
func instrument(listener string, mux http.Handler, m *metrics, log *slog.Logger, errs errorWriter) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		id := r.Header.Get("X-Request-Id")
		if id == "" || len(id) > 64 {
			id = newRequestID()
		}
		w.Header().Set("X-Request-Id", id)
		if listener == "admin" {
			// Admin replies carry identities, sessions and, when asked, credentials: nothing
			// there may sit in a cache. (Public handlers set it per reply.)
			httpx.NoStore(w)
		}
		if r.Body != nil {
			r.Body = http.MaxBytesReader(w, r.Body, bodyLimit(listener, r))
		}
		sw := &statusWriter{ResponseWriter: w, status: http.StatusOK}
		defer func() {
			if p := recover(); p != nil {
				if p == http.ErrAbortHandler {
					panic(p)
				}
				log.ErrorContext(r.Context(), "panic while serving request", "panic", fmt.Sprint(p),
					"request_id", id, "stack", string(debug.Stack()))
				if !sw.wrote {
					httpx.WriteError(sw, r, apierr.ErrInternal)
				}
			}
			d := time.Since(start)
			// The mux wrote the matched pattern into r: no second routing for the label.
			pattern := r.Pattern
			if pattern == "" {
				pattern = "unmatched"
			}
			m.observe(listener, r.Method, pattern, sw.status, d)
			logNoted(r, log, sw.err, id)
			log.LogAttrs(r.Context(), slog.LevelInfo, "request",
				slog.String("listener", listener), slog.String("method", r.Method),
				slog.String("path", r.URL.Path), slog.Int("status", sw.status),
				slog.Duration("duration", d), slog.String("request_id", id))
		}()
		if err := checkEdge(r); err != nil {
			if errs != nil {
				errs.Write(sw, r, err)
			} else {
				httpx.WriteError(sw, r, err)
			}
			return
		}
		mux.ServeHTTP(sw, r)
	})
}

// logNoted logs the error a reply was written for, once, through the server's logger: a
// server error at ERROR, anything caused by a client that went away at DEBUG (it is not a
// fault of the server), a client's mistake not at all (its status is in the request line).
func logNoted(r *http.Request, log *slog.Logger, err error, requestID string) {
	switch {
	case err == nil:
	case httpx.ClientGone(r):
		log.DebugContext(r.Context(), "client closed the request", "error", err, "method", r.Method, "path", r.URL.Path, "request_id", requestID)
	case apierr.From(err).Code >= 500:
		log.ErrorContext(r.Context(), "request failed", "error", err, "method", r.Method, "path", r.URL.Path, "request_id", requestID)
	}
}

// bodyLimit is the largest body a request may send: httpx.MaxBodyBytes, except for the admin
// batch import (up to 1,000 identities in one body), which bounds its own body and each
// identity in it.
func bodyLimit(listener string, r *http.Request) int64 {
	if listener == "admin" && r.Method == http.MethodPatch && r.URL.Path == "/admin/identities" {
		return admin.MaxBatchBodyBytes
	}
	return httpx.MaxBodyBytes
}
