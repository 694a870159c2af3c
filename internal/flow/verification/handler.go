package verification

import (
	"context"
	"net/http"
	"net/url"
	"time"

	"github.com/google/uuid"

	"github.com/portico-auth/portico/internal/apierr"
	"github.com/portico-auth/portico/internal/flow"
	"github.com/portico-auth/portico/internal/identity"
	"github.com/portico-auth/portico/internal/onetime"
)

// Addresses finds identities by address and marks addresses (satisfied by the store).
type Addresses interface {
	FindByVerifiableAddress(ctx context.Context, via, value string) (*identity.Identity, error)
	MarkAddressVerified(ctx context.Context, identityID uuid.UUID, via, value string, now time.Time) error
	SetAddressStatus(ctx context.Context, identityID uuid.UUID, via, value, status string, now time.Time) error
}

// Handler serves the verification flow's public endpoints.
type Handler struct {
	flow.Lifecycle
	// Enabled is selfservice.flows.verification.enabled.
	Enabled bool
	// Use is selfservice.flows.verification.use: "code" or "link".
	Use       string
	Codes     *onetime.Codes
	Mail      onetime.Mailer
	Addresses Addresses
	// NotifyUnknown is selfservice.flows.verification.notify_unknown_recipients.
	NotifyUnknown bool
	// ReturnURL is where the completed flow's "continue" link goes without a return_to.
	ReturnURL string
	// LinkBase is the base of the links sent (selfservice.methods.link.config.base_url, or
	// the public base URL).
	LinkBase *url.URL
}

// ErrDisabled answers every verification endpoint while the flow is off.
var ErrDisabled = apierr.ErrBadRequest.WithReason("Verification is not allowed because it was disabled.")

// Register adds the verification endpoints to the public mux.
func (h *Handler) Register(mux *http.ServeMux) {
	mux.HandleFunc("GET /self-service/verification/browser", h.Replies.Handler(flow.TypeBrowser, h.enabled(h.create)))
	mux.HandleFunc("GET /self-service/verification/api", h.Replies.Handler(flow.TypeAPI, h.enabled(h.create)))
	mux.HandleFunc("GET /self-service/verification/flows", h.Replies.JSONHandler(h.enabled(h.get)))
	mux.HandleFunc("POST /self-service/verification", h.Replies.Handler("", h.enabled(h.update)))
	mux.HandleFunc("GET /self-service/verification", h.Replies.Handler("", h.enabled(h.link)))
}

func (h *Handler) enabled(next flow.HandlerFunc) flow.HandlerFunc {
	return func(w *flow.Responder, r *http.Request) error {
		if !h.Enabled {
			return ErrDisabled
		}
		return next(w, r)
	}
}

// create answers createBrowserVerificationFlow and createNativeVerificationFlow.
func (h *Handler) create(w *flow.Responder, r *http.Request) error {
	returnTo, err := h.CheckReturnTo(r)
	if err != nil {
		return err
	}
	f, err := h.newFlow(w, r, returnTo)
	if err != nil {
		return err
	}
	if err := h.Create(r.Context(), f, nil); err != nil {
		return err
	}
	return w.Show(http.StatusOK, f, h.UI(f.ID))
}

// newFlow builds a flow in choose_method (not stored).
func (h *Handler) newFlow(w *flow.Responder, r *http.Request, returnTo string) (*Flow, error) {
	f := &Flow{Base: h.Begin(w, r, returnTo), State: StateChooseMethod}
	onetime.AskAddressNodes(&f.UI.Nodes, h.Use, "")
	return f, nil
}

// get answers getVerificationFlow.
func (h *Handler) get(w *flow.Responder, r *http.Request) error {
	return h.Get(w, r, &Flow{})
}

// codeURL is the flow's page with the code filled in (the link in a code message).
func (h *Handler) codeURL(f *Flow) func(string) string {
	return func(code string) string {
		return flow.AppendQuery(h.UI(f.ID), "code", code)
	}
}

// tokenURL is the link method's link: GET /self-service/verification?flow=&token=.
func (h *Handler) tokenURL(f *Flow) func(string) string {
	return func(token string) string {
		return flow.AppendQuery(f.ActionURL(h.LinkBase, "/self-service/verification"), "token", token)
	}
}

// continueTo is where the completed flow's "continue" link goes.
func (h *Handler) continueTo(f *Flow) string {
	return h.Target(f.ReturnTo, h.ReturnURL)
}
