package login

import (
	"context"
	"net/http"
	"time"

	"github.com/google/uuid"

	"github.com/portico-auth/portico/internal/audit/audithttp"
	"github.com/portico-auth/portico/internal/flow"
	"github.com/portico-auth/portico/internal/identity"
	"github.com/portico-auth/portico/internal/throttle"
)

// Identities loads the identity behind a session with its credentials.
type Identities interface {
	GetIdentity(ctx context.Context, id uuid.UUID, withCredentials bool) (*identity.Identity, error)
}

// Handler serves the login flow's public endpoints. The lifecycle (Kind "login") does what
// every flow does; the handler adds the login's own steps: AAL, refresh, its methods and the
// session it issues.
type Handler struct {
	flow.Lifecycle
	Identities Identities
	// ReturnURL is where a browser goes after signing in when the flow has no return_to.
	ReturnURL string
	// Methods are offered in this order.
	Methods []Method
	// FactorThrottle limits second-factor attempts (aal2 methods) per identity, so that
	// someone holding only the password cannot guess codes without end; nil means no limit.
	FactorThrottle Throttle
	// Devices remembers the client after a first-factor sign-in, so that its later attempts
	// draw on a throttle budget of their own (a device cookie); nil remembers nothing.
	Devices DeviceRememberer
	// Links are the account links pending on login flows (nil: none).
	Links PendingLinks
	// Audit records sign-ins and refused attempts (nil records nothing).
	Audit *audithttp.Recorder
}

// Throttle reserves an attempt for a subject before it is evaluated (satisfied by
// throttle.Limit); a *throttle.Limited error refuses it.
type Throttle interface {
	Reserve(ctx context.Context, subject string, now time.Time) (*throttle.Reservation, error)
}

// DeviceRememberer marks the client of w as a device that signed in as ident (satisfied by
// the password method).
type DeviceRememberer interface {
	Remember(w http.ResponseWriter, ident *identity.Identity)
}

// Register adds the login endpoints to the public mux.
func (h *Handler) Register(mux *http.ServeMux) {
	mux.HandleFunc("GET /self-service/login/browser", h.Replies.Handler(flow.TypeBrowser, h.create))
	mux.HandleFunc("GET /self-service/login/api", h.Replies.Handler(flow.TypeAPI, h.create))
	mux.HandleFunc("GET /self-service/login/flows", h.Replies.JSONHandler(h.get))
	mux.HandleFunc("POST /self-service/login", h.Replies.Handler("", h.update))
}
