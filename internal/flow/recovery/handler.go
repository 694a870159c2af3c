package recovery

import (
	"context"
	"net/http"
	"time"

	"github.com/google/uuid"

	"github.com/portico-auth/portico/internal/apierr"
	"github.com/portico-auth/portico/internal/audit/audithttp"
	"github.com/portico-auth/portico/internal/flow"
	"github.com/portico-auth/portico/internal/identity"
	"github.com/portico-auth/portico/internal/onetime"
	"github.com/portico-auth/portico/internal/store"
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
// links. The exchange of codes and links is onetime.Exchange's; what is recovery's own is in
// spec and recovered.
type Handler struct {
	onetime.Exchange[*Flow]
	Identities Identities
	Settings   Settings
	// ReturnURL is where a browser that already has a session is sent.
	ReturnURL string
	// PrivilegedFor is selfservice.flows.settings.privileged_session_max_age: how long the
	// recovered session may change the password without signing in again.
	PrivilegedFor time.Duration
	// Audit records the verified address and the sign-in of a recovery (nil records nothing).
	Audit *audithttp.Recorder
}

var (
	// ErrDisabled answers every recovery endpoint while the flow is off.
	ErrDisabled = apierr.ErrBadRequest.WithReason("Recovery is not allowed because it was disabled.")
	// ErrAlreadyLoggedIn answers a JSON caller starting a recovery with a session.
	ErrAlreadyLoggedIn = apierr.ErrBadRequest.WithID("session_already_available").
				WithReason("A valid session was detected and thus recovery is not possible.")
)

// texts are the recovery flow's messages.
var texts = onetime.Texts{
	Expired:      text.NewRecoveryFlowExpired,
	RetrySuccess: text.ErrorValidationRecoveryRetrySuccess, NoStrategy: text.ErrorValidationRecoveryNoStrategy,
	CodeInvalid: text.ErrorValidationRecoveryCodeInvalid, TokenInvalid: text.ErrorValidationRecoveryTokenInvalid,
	CodeLabel: text.InfoNodeLabelRecoveryCode, CodeSent: text.InfoRecoveryEmailWithCodeSent, LinkSent: text.InfoRecoveryEmailSent,
}

// Register adds the recovery endpoints to the public mux.
func (h *Handler) Register(mux *http.ServeMux) {
	h.Mount(mux, h.spec())
}

// spec is what recovery does its own way: its addresses are the recovery addresses, a signed-in
// caller is refused, an admin's code flow takes codes whatever the configured method, a link
// without a token hands the browser its CSRF token, and a right code or link signs the person
// in (recovered).
func (h *Handler) spec() *onetime.Spec[*Flow] {
	return &onetime.Spec[*Flow]{
		Purpose: onetime.PurposeRecovery, Texts: texts, Disabled: ErrDisabled,
		New: func() *Flow { return &Flow{} }, Fresh: h.newFlow, CodeURL: h.codeURL,
		Find: onetime.ActiveOnly(h.Identities.FindByRecoveryAddress), Refuse: h.refuse, CodeAnyway: true,
		Unlinked: h.unlinked,
		Passed: func(w *flow.Responder, r *http.Request, f *Flow, c *store.Code, method string) error {
			if method == onetime.MethodLink {
				return h.recovered(w, r, f, c, AMRLink)
			}
			return h.recovered(w, r, f, c, AMRCode)
		},
	}
}

// refuse refuses a caller with a session, but for a submission to a completed flow.
func (h *Handler) refuse(r *http.Request, state, returnTo string) (error, string, error) {
	sess, err := h.Session(r)
	if err != nil || sess == nil || state == StatePassedChallenge {
		return nil, "", err
	}
	return ErrAlreadyLoggedIn, h.Target(returnTo, h.ReturnURL), nil
}

// newFlow builds a flow in choose_method (not stored).
func (h *Handler) newFlow(w *flow.Responder, r *http.Request, returnTo string) *Flow {
	f := &Flow{Challenge: onetime.Challenge{Base: h.Begin(w, r, returnTo), State: StateChooseMethod}}
	onetime.AskAddressNodes(&f.UI.Nodes, h.Use, "")
	return f
}

// codeURL is the flow's page (the link in a code message: the code is typed in).
func (h *Handler) codeURL(f *Flow) func(string) string {
	return func(string) string { return h.UI(f.ID) }
}
