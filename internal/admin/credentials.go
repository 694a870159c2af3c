package admin

import (
	"fmt"
	"net/http"

	"github.com/portico-auth/portico/internal/apierr"
	"github.com/portico-auth/portico/internal/audit"
	"github.com/portico-auth/portico/internal/identity"
)

// deletableCredentials are the types deleteIdentityCredentials removes. Kratos refuses
// passkeys (and code credentials) here; Portico holds no other types.
var deletableCredentials = map[identity.CredentialsType]bool{
	identity.CredentialsPassword:     true,
	identity.CredentialsTOTP:         true,
	identity.CredentialsLookupSecret: true,
	identity.CredentialsWebAuthn:     true,
	identity.CredentialsOIDC:         true,
}

// errLastFirstFactor is Kratos's answer to deleting the only way an identity signs in.
var errLastFirstFactor = apierr.ErrBadRequest.WithReason("You cannot remove the last first factor credential.")

// deleteCredentials is deleteIdentityCredentials: DELETE /admin/identities/{id}/credentials/{type}.
// As in Kratos: 404 for an unknown identity or a type it does not hold, then 400 for a type
// that cannot be deleted this way, and 400 when the deletion would take the identity's last
// usable first factor (a password is deletable only while another sign-in method remains).
// 204 once removed. Removing the last usable second factor lowers the highest AAL to aal1.
// oidc removes one provider account, named by the identifier query parameter
// ("<provider>:<subject>", as include_credential=oidc shows it): 400 without it, 404 when the
// identity has no such account.
func (h *IdentityHandler) deleteCredentials(w http.ResponseWriter, r *http.Request) error {
	id, err := identityID(r)
	if err != nil {
		return err
	}
	t := identity.CredentialsType(r.PathValue("type"))
	ident, err := h.store.GetIdentity(r.Context(), id, true)
	if err != nil {
		return err
	}
	if !ident.HasCredentials(t) {
		return apierr.ErrNotFound.WithReason("You tried to remove a %s credential but this user has no such credential set up.", t)
	}
	if !deletableCredentials[t] {
		return apierr.ErrBadRequest.WithReason("Credentials type %s cannot be deleted.", t)
	}
	var factors identity.Factors
	if h.Factors != nil {
		factors = *h.Factors
	}
	could := len(factors.FirstFactors(ident)) > 0
	before := audit.Snapshot(ident)
	details := map[string]any{"type": string(t)}
	if t == identity.CredentialsOIDC {
		// One provider account at a time, named by the identifier the admin API shows.
		identifier := r.URL.Query().Get("identifier")
		if identifier == "" {
			return apierr.ErrBadRequest.WithReason("The identifier of the oidc credential to remove (<provider>:<subject>) is required.")
		}
		if h.OIDC == nil {
			return apierr.ErrBadRequest.WithReason("Credentials type %s cannot be deleted.", t)
		}
		found, err := h.OIDC.Unlink(ident, identifier, h.now())
		if err != nil {
			return err
		}
		if !found {
			return apierr.ErrNotFound.WithReason("This identity has no oidc credential with identifier %q.", identifier)
		}
		details["identifier"] = identifier
	} else {
		delete(ident.Credentials, t)
	}
	if !factors.KeepsSignIn(could, ident) {
		return errLastFirstFactor
	}
	ctx := h.adminChange(r, audit.IdentityCredentialDeleted, before, ident, details)
	if err := h.mgr.Update(ctx, ident); err != nil {
		return fmt.Errorf("delete %s credentials: %w", t, err)
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
