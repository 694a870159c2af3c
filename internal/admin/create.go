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
	var social []oidcImportProvider
	if body.Credentials != nil {
		if social, err = body.Credentials.OIDC.accounts(); err != nil {
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
	if err := h.linkOIDC(id, social); err != nil {
		return nil, err
	}
	if err := h.importSecondFactors(id, body.Credentials.imported()); err != nil {
		return nil, err
	}
	ctx := h.adminChange(r, audit.IdentityCreated, nil, id, nil)
	if err := h.mgr.Create(ctx, id, identity.CreateOptions{Password: plain, HashedPassword: hashed}); err != nil {
		return nil, err
	}
	return id, nil
}

// importSecondFactors sets the identity's credentials from the configs given (by type), each
// checked by its method's Importer; a type without one is refused (400). The identity gets its
// id first: these credentials are identified, or their secrets sealed, by it.
func (h *IdentityHandler) importSecondFactors(id *identity.Identity, configs map[identity.CredentialsType]json.RawMessage) error {
	if len(configs) == 0 {
		return nil
	}
	if id.ID == uuid.Nil {
		id.ID = uuid.New()
	}
	now := h.now()
	for _, t := range importOrder {
		raw, ok := configs[t]
		if !ok {
			continue
		}
		imp := h.Importers[t]
		if imp == nil {
			return apierr.ErrBadRequest.WithReason("Importing %s credentials is not supported.", t)
		}
		if err := imp(id, raw, now); err != nil {
			return err
		}
	}
	return nil
}

// importOrder is the order configs are checked in, so that a body with several bad ones is
// always refused for the same one.
var importOrder = []identity.CredentialsType{
	identity.CredentialsTOTP, identity.CredentialsLookupSecret, identity.CredentialsWebAuthn, identity.CredentialsPasskey,
}
