package httpx

import (
	"context"
	"errors"
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
