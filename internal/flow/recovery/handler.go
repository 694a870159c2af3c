package recovery

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
	"github.com/portico-auth/portico/internal/text"
)

// Identities finds and loads the identities a recovery is for (satisfied by the store).
type Identities interface {
	GetIdentity(ctx context.Context, id uuid.UUID, withCredentials bool) (*identity.Identity, error)
	FindByRecoveryAddress(ctx context.Context, via, value string) (*identity.Identity, error)
	MarkAddressVerified(ctx context.Context, identityID uuid.UUID, via, value string, now time.Time) error
}

// Settings starts the settings flow a recovered person continues in (satisfied by the
// settings flow's handler).
type Settings interface {
	// StartRecovered stores a settings flow of type t for ident (with credentials) showing msg,
	// and returns its id and page. csrfToken is the browser's masked token ("" for API flows).
	StartRecovered(ctx context.Context, r *http.Request, t flow.Type, ident *identity.Identity, csrfToken string, msg text.Message) (uuid.UUID, string, error)
}

// Handler serves the recovery flow's public endpoints and the admin API's recovery codes and
// links.
type Handler struct {
	flow.Lifecycle
	// Enabled is selfservice.flows.recovery.enabled.
	Enabled bool
	// Use is selfservice.flows.recovery.use: "code" or "link".
	Use        string
	Codes      *onetime.Codes
	Mail       onetime.Mailer
	Identities Identities
	Settings   Settings
	// NotifyUnknown is selfservice.flows.recovery.notify_unknown_recipients.
	NotifyUnknown bool
	// ReturnURL is where a browser that already has a session is sent.
	ReturnURL string
	// PrivilegedFor is selfservice.flows.settings.privileged_session_max_age: how long the
	// recovered session may change the password without signing in again.
	PrivilegedFor time.Duration
	// LinkBase is the base of the links sent (selfservice.methods.link.config.base_url, or
	// the public base URL).
	LinkBase *url.URL
}

var (
	// ErrDisabled answers every recovery endpoint while the flow is off.
	ErrDisabled = apierr.ErrBadRequest.WithReason("Recovery is not allowed because it was disabled.")
	// ErrAlreadyLoggedIn answers a JSON caller starting a recovery with a session.
	ErrAlreadyLoggedIn = apierr.ErrBadRequest.WithID("session_already_available").
				WithReason("A valid session was detected and thus recovery is not possible.")
)

// Register adds the recovery endpoints to the public mux.
func (h *Handler) Register(mux *http.ServeMux) {
	mux.HandleFunc("GET /self-service/recovery/browser", h.Replies.Handler(flow.TypeBrowser, h.enabled(h.create)))
	mux.HandleFunc("GET /self-service/recovery/api", h.Replies.Handler(flow.TypeAPI, h.enabled(h.create)))
	mux.HandleFunc("GET /self-service/recovery/flows", h.Replies.JSONHandler(h.enabled(h.get)))
	mux.HandleFunc("POST /self-service/recovery", h.Replies.Handler("", h.enabled(h.update)))
	mux.HandleFunc("GET /self-service/recovery", h.Replies.Handler("", h.enabled(h.link)))
}

func (h *Handler) enabled(next flow.HandlerFunc) flow.HandlerFunc {
	return func(w *flow.Responder, r *http.Request) error {
		if !h.Enabled {
			return ErrDisabled
		}
		return next(w, r)
	}
}

// create answers createBrowserRecoveryFlow and createNativeRecoveryFlow.
func (h *Handler) create(w *flow.Responder, r *http.Request) error {
	returnTo, err := h.CheckReturnTo(r)
	if err != nil {
		return err
	}
	if sess, err := h.Session(r); err != nil {
		return err
	} else if sess != nil {
		return w.RefuseOrRedirect(ErrAlreadyLoggedIn, h.Target(returnTo, h.ReturnURL))
	}
	f := h.newFlow(w, r, returnTo)
	if err := h.Create(r.Context(), f, nil); err != nil {
		return err
	}
	return w.Show(http.StatusOK, f, h.UI(f.ID))
}

// newFlow builds a flow in choose_method (not stored).
func (h *Handler) newFlow(w *flow.Responder, r *http.Request, returnTo string) *Flow {
	f := &Flow{Base: h.Begin(w, r, returnTo), State: StateChooseMethod}
	onetime.AskAddressNodes(&f.UI.Nodes, h.Use, "")
	return f
}

// replacement stores a new flow in place of old (expired, out of tries, a bad link) showing msg.
func (h *Handler) replacement(w *flow.Responder, r *http.Request, old *Flow, msg text.Message) (*Flow, error) {
	f := h.newFlow(w, r, old.ReturnTo)
	f.UI.AddMessage(msg)
	return f, h.Create(r.Context(), f, nil)
}

// get answers getRecoveryFlow.
func (h *Handler) get(w *flow.Responder, r *http.Request) error {
	return h.Get(w, r, &Flow{})
}

// codeURL is the flow's page (the link in a code message: the code is typed in).
func (h *Handler) codeURL(f *Flow) func(string) string {
	return func(string) string { return h.UI(f.ID) }
}

// tokenURL is the link method's link: GET /self-service/recovery?flow=&token=.
func (h *Handler) tokenURL(f *Flow) func(string) string {
	return func(token string) string {
		return flow.AppendQuery(f.ActionURL(h.LinkBase, "/self-service/recovery"), "token", token)
	}
}
