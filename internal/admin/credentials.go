package admin

import (
	"fmt"
	"net/http"

	"github.com/portico-auth/portico/internal/apierr"
	"github.com/portico-auth/portico/internal/httpx"
	"github.com/portico-auth/portico/internal/identity"
)

// deletableCredentials are the types deleteIdentityCredentials removes; Kratos refuses passkeys
// and code credentials here, and Portico holds no other types.
var deletableCredentials = map[identity.CredentialsType]bool{
	identity.CredentialsPassword:     true,
	identity.CredentialsTOTP:         true,
	identity.CredentialsLookupSecret: true,
	identity.CredentialsWebAuthn:     true,
}

// deleteCredentials is deleteIdentityCredentials: DELETE /admin/identities/{id}/credentials/{type}.
// 204 once removed; 404 for an unknown identity or a type it does not hold; 400 for a type
// that cannot be deleted this way. Removing the last second factor lowers the identity's
// highest AAL to aal1.
func (h *IdentityHandler) deleteCredentials(w http.ResponseWriter, r *http.Request) {
	id, err := identityID(r)
	if err != nil {
		httpx.WriteError(w, r, err)
		return
	}
	t := identity.CredentialsType(r.PathValue("type"))
	if !deletableCredentials[t] {
		httpx.WriteError(w, r, apierr.ErrBadRequest.WithReason("You cannot remove %s credentials with this API.", t))
		return
	}
	ident, err := h.store.GetIdentity(r.Context(), id, true)
	if err != nil {
		httpx.WriteError(w, r, err)
		return
	}
	if !ident.HasCredentials(t) {
		httpx.WriteError(w, r, apierr.ErrNotFound.WithReason("You tried to remove a %s credential but this user has no such credential set up.", t))
		return
	}
	delete(ident.Credentials, t)
	if err := h.mgr.Update(r.Context(), ident); err != nil {
		httpx.WriteError(w, r, fmt.Errorf("delete %s credentials: %w", t, err))
		return
	}
	w.WriteHeader(http.StatusNoContent)
}
