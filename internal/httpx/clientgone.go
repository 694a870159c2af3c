package httpx

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
)

// StatusClientClosedRequest is what a request whose client went away is counted as (nginx's
// 499): no one reads the reply, and it is not a server error, so it must not page anyone as
// a 500 would.
const StatusClientClosedRequest = 499

// ClientGone reports whether the client of r disconnected (net/http cancels the request's
// context then). Whatever failed afterwards failed because of that: a query interrupted by the
// cancelled context is not a fault of the server.
func ClientGone(r *http.Request) bool {
	return errors.Is(r.Context().Err(), context.Canceled)
}

// writeClientGone answers a request whose client disconnected: logged at debug level with the
// error that the cancellation caused, and status 499.
func writeClientGone(w http.ResponseWriter, r *http.Request, err error) {
	slog.DebugContext(r.Context(), "client closed the request", "error", err, "method", r.Method, "path", r.URL.Path)
	w.WriteHeader(StatusClientClosedRequest)
}
