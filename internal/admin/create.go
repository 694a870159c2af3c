package admin

import (
	"encoding/json"
	"net/http"

	"github.com/google/uuid"

	"github.com/portico-auth/portico/internal/apierr"
	"github.com/portico-auth/portico/internal/audit"
	"github.com/portico-auth/portico/internal/httpx"
	"github.com/portico-auth/portico/internal/identity"
)

// create is createIdentity: 201 with the identity, credentials without their configs.
func (h *IdentityHandler) create(w http.ResponseWriter, r *http.Request) error {
	var body createBody
	if err := decodeStrict(r, &body); err != nil {
		return err
	}
	id, err := h.createFrom(r, &body)
	if err != nil {
		return err
	}
	w.Header().Set("Location", "/admin/identities/"+id.ID.String())
	httpx.WriteJSON(w, http.StatusCreated, h.render(id, nil))
	return nil
}

// createFrom checks a createIdentityBody and creates the identity.
func (h *IdentityHandler) createFrom(r *http.Request, body *createBody) (*identity.Identity, error) {
	if missingTraits(body.Traits) {
		return nil, apierr.ErrBadRequest.WithReason("The field traits is required.")
	}
	if err := checkExternalID(body.ExternalID); err != nil {
		return nil, err
	}
	plain, hashed, err := body.Credentials.password()
	if err != nil {
		return nil, err
	}
	var social *identity.Credentials
	if body.Credentials != nil {
		if social, err = body.Credentials.OIDC.credential(); err != nil {
			return nil, err
		}
	}
	id := &identity.Identity{
		SchemaID:            body.SchemaID,
		Traits:              body.Traits,
		State:               body.State,
		MetadataPublic:      nullIfEmpty(body.MetadataPublic),
		MetadataAdmin:       nullIfEmpty(body.MetadataAdmin),
		VerifiableAddresses: body.VerifiableAddresses,
		RecoveryAddresses:   body.RecoveryAddresses,
		ExternalID:          body.ExternalID,
	}
	if org := nullIfEmpty(body.OrganizationID); org != nil {
		var oid uuid.UUID
		if err := json.Unmarshal(org, &oid); err != nil {
			return nil, apierr.ErrBadRequest.WithReason("organization_id is not a UUID.")
		}
		id.OrganizationID = &oid
	}
	if social != nil {
		id.Credentials = map[identity.CredentialsType]identity.Credentials{identity.CredentialsOIDC: *social}
	}
	ctx := h.adminChange(r, audit.IdentityCreated, nil, id, nil)
	if err := h.mgr.Create(ctx, id, identity.CreateOptions{Password: plain, HashedPassword: hashed}); err != nil {
		return nil, err
	}
	return id, nil
}
