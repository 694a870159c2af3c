package login

import (
	"context"
	"net/http"

	"github.com/google/uuid"

	"github.com/portico-auth/portico/internal/flow"
	"github.com/portico-auth/portico/internal/identity"
)

// PendingLinks are the account links waiting on login flows (the oidc method's safe account
// linking): a provider account whose verified address belongs to an existing identity is
// linked to it once that identity signs in on the same flow with one of its own methods.
type PendingLinks interface {
	// Target is the identity a link pending on flow f waits for, when the request comes from
	// the browser (or, for an API flow, the app) that the link was started for; nil otherwise.
	Target(ctx context.Context, r *http.Request, f *Flow) (*uuid.UUID, error)
	// Complete links the account pending on flow f to ident, which has just signed in on f.
	// The link is used once: of concurrent completions one links, the others find none. A
	// refusal is a *flow.FormError.
	Complete(ctx context.Context, r *http.Request, f *Flow, ident *identity.Identity) error
}

// Reoffer replaces the nodes of flow f (all but its csrf_token) with those of the methods
// that let ident sign in, as a refresh of ident would show them: a flow waiting for an
// existing identity to sign in (see PendingLinks).
func (h *Handler) Reoffer(ctx context.Context, f *Flow, ident *identity.Identity) error {
	kept := f.UI.Nodes[:0:0]
	for _, n := range f.UI.Nodes {
		if a := n.Input(); a != nil && a.Name == "csrf_token" {
			kept = append(kept, n)
		}
	}
	f.UI.Nodes = kept
	_, err := h.offer(ctx, f, ident)
	return err
}

// Start creates and stores a first-login flow of w's type for r (a method that must send a
// person from another flow to sign in, e.g. from a registration's provider callback).
func (h *Handler) Start(w *flow.Responder, r *http.Request, returnTo string) (*Flow, error) {
	return h.newFlow(w, r, options{aal: "aal1", returnTo: returnTo}, nil, nil)
}
