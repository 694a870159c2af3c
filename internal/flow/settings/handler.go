package settings

import (
	"context"
	"net/http"
	"sync/atomic"
	"time"

	"github.com/google/uuid"

	"github.com/portico-auth/portico/internal/audit/audithttp"
	"github.com/portico-auth/portico/internal/flow"
	"github.com/portico-auth/portico/internal/flow/form"
	"github.com/portico-auth/portico/internal/identity"
	"github.com/portico-auth/portico/internal/session"
	"github.com/portico-auth/portico/internal/store"
)

// Store is what the settings flow persists and reads: its flows, the identity with its
// credentials, and the sessions a password change may revoke.
type Store interface {
	store.Flows
	GetIdentity(ctx context.Context, id uuid.UUID, withCredentials bool) (*identity.Identity, error)
	RevokeSessionsExcept(ctx context.Context, identityID, keep uuid.UUID) (int, error)
	UpdateIdentityWith(ctx context.Context, id *identity.Identity, w store.IdentityWrites) error
}

// Options are the settings flow's own configuration (the lifecycle holds the rest: public
// URL, ui_url, lifespan).
type Options struct {
	// LoginUIURL is selfservice.flows.login.ui_url, where a browser without a session goes.
	LoginUIURL string
	// PrivilegedMaxAge is how recent the session's authentication must be for changes of
	// credentials and identifiers.
	PrivilegedMaxAge time.Duration
	// RequiredAAL is "highest_available", "aal1" or "aal2_enrol" (highest_available with
	// forced second-factor enrolment, see enrol.go).
	RequiredAAL string
	// AfterURL is where a browser goes after a successful update with method when the flow
	// has no return_to; "" sends it back to the flow's UI.
	AfterURL func(method string) string
	// RevokeOtherSessions reports whether the revoke_active_sessions hook runs after a
	// successful update with method.
	RevokeOtherSessions func(method string) bool
	// RevokeOnCredentialChange ends the identity's other sessions whenever a change touches a
	// credential or the recovery addresses (identity.CredentialChanges), whatever the hooks
	// say (selfservice.flows.settings.revoke_other_sessions_on_credential_change).
	RevokeOnCredentialChange bool
	// Secrets encrypt pending submissions (the first seals, all open).
	Secrets []string
}

// Deps are the collaborators of the settings handler.
type Deps struct {
	Store Store
	// Identities stores identity changes (satisfied by *identity.Manager).
	Identities Identities
	// Changed, when set, is told of every stored change: before is the identity as the
	// session saw it, after as it was saved (the server sends credential_changed notices
	// from it). It runs after the change is stored and cannot fail the request.
	Changed func(r *http.Request, before, after *identity.Identity)
	// Audit records the credential and address changes of a stored change in the write that
	// stores it, with the session that made it (nil records nothing).
	Audit *audithttp.Recorder
	// Activity, when set (audit.show_in_settings), adds the person's own recent audit events
	// to every settings flow (nil: the flow is Kratos's).
	Activity Activity
	// Verification, when set, starts the verification of the addresses a stored change added
	// (satisfied by the verification flow's handler; nil while that flow is off).
	Verification Verifier
}

// Verifier starts verification flows for the unverified addresses after has and before had not,
// and returns the continue_with items (show_verification_ui) pointing to them.
type Verifier interface {
	StartChanged(w *flow.Responder, r *http.Request, before, after *identity.Identity, returnTo string) ([]flow.ContinueWith, error)
}

// Activity gives the nodes that show an identity its own recent account activity (satisfied
// by *audithttp.Activity).
type Activity interface {
	Nodes(ctx context.Context, identityID uuid.UUID) ([]flow.Node, error)
}

// Identities validates and stores changed identities.
type Identities interface {
	Update(ctx context.Context, id *identity.Identity) error
	// UpdateRevokingSessions also ends the identity's sessions other than keep, in the same
	// transaction, when revoke approves the identity as it will be stored.
	UpdateRevokingSessions(ctx context.Context, id *identity.Identity, keep uuid.UUID, revoke func(*identity.Identity) bool) error
	// UpdateWith validates id as Update does and stores it with save.
	UpdateWith(ctx context.Context, id *identity.Identity, save func(context.Context, *identity.Identity) error) error
}

// Handler serves the settings flow's endpoints. The lifecycle (Kind "settings") does what
// every flow does; the handler adds the settings flow's own steps: the session it belongs to,
// its sealed storage, privileged sessions and parked changes, and its methods.
type Handler struct {
	flow.Lifecycle
	opts    Options
	deps    Deps
	methods []Method
	sealer  *sealer
	// public is the public base URL as identities' schema_url is built on it.
	public string
	// shown remembers the shown identities' JSON (see shownMemo).
	shown shownMemo
	// trims remembers how many more flows of an identity fit under the cap (see trim).
	trims trimBudget
	// nodeCount is how many nodes the flow filled last has: the capacity fill starts with, so
	// that a flow's nodes (about 25 with every second factor on, 80 bytes each) are not copied
	// into ever larger arrays as the methods append them.
	nodeCount atomic.Int32
}

// New returns the settings handler with the given methods, in node order.
func New(l flow.Lifecycle, o Options, d Deps, methods ...Method) *Handler {
	return &Handler{Lifecycle: l, opts: o, deps: d, methods: methods, sealer: newSealer(o.Secrets), public: l.Public.String()}
}

// Register adds the settings endpoints to the public mux.
func (h *Handler) Register(mux *http.ServeMux) {
	mux.HandleFunc("GET /self-service/settings/browser", h.Replies.Handler(flow.TypeBrowser, h.create))
	mux.HandleFunc("GET /self-service/settings/api", h.Replies.Handler(flow.TypeAPI, h.create))
	mux.HandleFunc("GET /self-service/settings/flows", h.Replies.JSONHandler(h.get))
	mux.HandleFunc("POST /self-service/settings", h.Replies.Handler("", prefetching(h.update)))
	mux.HandleFunc("GET /self-service/settings", h.Replies.Handler("", prefetching(h.resume)))
	mux.HandleFunc("GET /.well-known/change-password", h.changePassword)
}

func (h *Handler) method(id string) Method {
	for _, m := range h.methods {
		if m.ID() == id {
			return m
		}
	}
	return nil
}

// claimant is the first method claiming a submission that names no known method.
func (h *Handler) claimant(body form.Values) Method {
	for _, m := range h.methods {
		if c, ok := m.(Claimer); ok && c.Claims(body) {
			return m
		}
	}
	return nil
}

// privileged reports whether s may change credentials and identifiers of ident now: a first
// factor within privileged_session_max_age and, when ident has a usable second factor, that
// second factor too (session.Manager.Privileged), so a refresh login that proved only the
// password is not enough for an identity with a second factor.
func (h *Handler) privileged(s *session.Session, ident *identity.Identity) bool {
	return h.Sessions.Privileged(s, ident, h.opts.PrivilegedMaxAge)
}
