package registration

import (
	"net/http"

	"github.com/portico-auth/portico/internal/audit/audithttp"
	"github.com/portico-auth/portico/internal/flow"
	"github.com/portico-auth/portico/internal/identity"
)

// Handler serves the registration flow's public endpoints. The lifecycle (Kind
// "registration") does what every flow does; the handler adds the registration's own steps:
// the switch that turns it off, its methods and the identity (and session) it creates.
type Handler struct {
	flow.Lifecycle
	// Enabled is selfservice.flows.registration.enabled.
	Enabled bool
	// ReturnURL is where a browser goes after signing up when the flow has no return_to.
	ReturnURL string
	// IssueSession is the "session" after-registration hook: sign the new identity in.
	IssueSession bool
	Methods      []Method
	// Verification starts the verification of the new identity's addresses (nil: none);
	// ShowVerificationUI is the show_verification_ui hook: a browser goes to the first
	// verification flow instead of the return URL.
	Verification       Verifier
	ShowVerificationUI bool
	// Audit records each sign-up in the write that creates the identity (nil records nothing).
	Audit *audithttp.Recorder
}

// Verifier starts verification flows for a new identity and returns the continue_with items
// pointing to them (satisfied by the verification flow's handler).
type Verifier interface {
	Start(w *flow.Responder, r *http.Request, ident *identity.Identity, returnTo string) ([]flow.ContinueWith, error)
}

// Register adds the registration endpoints to the public mux.
func (h *Handler) Register(mux *http.ServeMux) {
	mux.HandleFunc("GET /self-service/registration/browser", h.Replies.Handler(flow.TypeBrowser, h.create))
	mux.HandleFunc("GET /self-service/registration/api", h.Replies.Handler(flow.TypeAPI, h.create))
	mux.HandleFunc("GET /self-service/registration/flows", h.Replies.JSONHandler(h.get))
	mux.HandleFunc("POST /self-service/registration", h.Replies.Handler("", h.update))
}
