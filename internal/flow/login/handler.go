package login

import (
	"context"
	"encoding/base64"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/portico-auth/portico/internal/flow"
	"github.com/portico-auth/portico/internal/identity"
	"github.com/portico-auth/portico/internal/session"
	"github.com/portico-auth/portico/internal/store"
	"github.com/portico-auth/portico/internal/throttle"
)

// Identities loads the identity behind a session with its credentials.
type Identities interface {
	GetIdentity(ctx context.Context, id uuid.UUID, withCredentials bool) (*identity.Identity, error)
}

// Handler serves the login flow's public endpoints.
type Handler struct {
	Flows      store.Flows
	Identities Identities
	Sessions   *session.Manager
	CSRF       *flow.CSRF
	ReturnTo   *flow.ReturnTo
	Errors     *flow.ErrorWriter
	// Public is serve.public.base_url.
	Public *url.URL
	// UIURL is selfservice.flows.login.ui_url; browsers are sent there with ?flow=<id>.
	UIURL string
	// Lifespan is selfservice.flows.login.lifespan.
	Lifespan time.Duration
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
	// Now is the clock; time.Now when nil.
	Now func() time.Time
	// Log is the server's logger; slog.Default() when nil.
	Log *slog.Logger
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
	mux.HandleFunc("GET /self-service/login/browser", h.createBrowser)
	mux.HandleFunc("GET /self-service/login/api", h.createNative)
	mux.HandleFunc("GET /self-service/login/flows", h.get)
	mux.HandleFunc("POST /self-service/login", h.update)
}

func (h *Handler) now() time.Time {
	if h.Now != nil {
		return h.Now().UTC()
	}
	return time.Now().UTC()
}

// replyJSON reports whether r gets JSON rather than redirects: API flows always do.

// returnURL is where a browser goes once signed in: the flow's return_to (kept as given, so
// a relative one is resolved here) or the default.
func (h *Handler) returnURL(returnTo string) string {
	if returnTo != "" {
		return h.ReturnTo.Resolve(returnTo)
	}
	return h.ReturnURL
}

func (h *Handler) uiURL(id uuid.UUID) string {
	if h.UIURL == "" {
		return flow.JoinPath(h.Public, "/self-service/login/flows?id="+id.String())
	}
	return flow.AppendQuery(h.UIURL, "flow", id.String())
}

// PublicIdentity is the identity as the public API shows it (in a session, after a
// registration): no credentials, no admin metadata, schema_url on the public base URL.
func PublicIdentity(public *url.URL, i *identity.Identity) *identity.Identity {
	if i == nil {
		return nil
	}
	c := *i
	c.Credentials = nil
	c.MetadataAdmin = nil
	c.SchemaURL = strings.TrimSuffix(public.String(), "/") + "/schemas/" + base64.RawURLEncoding.EncodeToString([]byte(c.SchemaID))
	return &c
}
