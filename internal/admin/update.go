package admin

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/http"
	"strings"

	jsonpatch "github.com/evanphx/json-patch/v5"

	"github.com/portico-auth/portico/internal/apierr"
	"github.com/portico-auth/portico/internal/audit"
	"github.com/portico-auth/portico/internal/httpx"
	"github.com/portico-auth/portico/internal/identity"
)

// update is updateIdentity (PUT): the whole identity except credentials is replaced; a
// password in credentials.password.config replaces the password.
func (h *IdentityHandler) update(w http.ResponseWriter, r *http.Request) error {
	id, err := identityID(r)
	if err != nil {
		return err
	}
	var body updateBody
	if err := decodeStrict(r, &body); err != nil {
		return err
	}
	switch {
	case body.SchemaID == "":
		err = apierr.ErrBadRequest.WithReason("The field schema_id is required.")
	case missingTraits(body.Traits):
		err = apierr.ErrBadRequest.WithReason("The field traits is required.")
	case body.State == "":
		err = apierr.ErrBadRequest.WithReason("The field state is required.")
	}
	if err != nil {
		return err
	}
	plain, hashed, err := body.Credentials.password()
	if err != nil {
		return err
	}
	if given := body.Credentials.imported(); len(given) > 0 {
		for _, t := range importOrder {
			if given[t] != nil {
				return apierr.ErrBadRequest.WithReason("Importing %s credentials is supported only when an identity is created.", t)
			}
		}
	}
	if body.Credentials != nil {
		// Provider accounts are linked only when an identity is created, as second factors are.
		social, err := body.Credentials.OIDC.accounts()
		if err != nil {
			return err
		}
		if social != nil {
			return apierr.ErrBadRequest.WithReason("Importing %s credentials is supported only when an identity is created.", identity.CredentialsOIDC)
		}
	}
	ident, err := h.store.GetIdentity(r.Context(), id, true)
	if err != nil {
		return err
	}
	before := audit.Snapshot(ident)
	if err := h.replace(ident, body.identityFields); err != nil {
		return err
	}
	if plain != "" || hashed != "" {
		if err := h.mgr.SetPassword(r.Context(), ident, plain, hashed); err != nil {
			return err
		}
	}
	if err := h.mgr.Update(h.adminChange(r, audit.IdentityUpdated, before, ident, nil), ident); err != nil {
		return err
	}
	httpx.WriteJSON(w, http.StatusOK, h.render(ident, nil))
	return nil
}

// replace gives ident the fields a PUT or a JSON Patch sets (the addresses only a patch
// sets are left to it), after checking the external id.
func (h *IdentityHandler) replace(ident *identity.Identity, next identityFields) error {
	if err := checkExternalID(next.ExternalID); err != nil {
		return err
	}
	if next.State != ident.State {
		h.touchState(ident)
	}
	ident.SchemaID = next.SchemaID
	ident.Traits = next.Traits
	ident.State = next.State
	ident.MetadataPublic = nullIfEmpty(next.MetadataPublic)
	ident.MetadataAdmin = nullIfEmpty(next.MetadataAdmin)
	ident.ExternalID = next.ExternalID
	return nil
}

// touchState marks a state change: the manager stamps a nil StateChangedAt with its clock.
func (h *IdentityHandler) touchState(id *identity.Identity) {
	id.StateChangedAt = nil
}

// patchable are the identity fields a JSON Patch may change.
type patchable struct {
	identityFields
	VerifiableAddresses []identity.VerifiableAddress `json:"verifiable_addresses"`
	RecoveryAddresses   []identity.RecoveryAddress   `json:"recovery_addresses"`
}

// forbiddenPatchPaths are the members a JSON Patch must not touch.
var forbiddenPatchPaths = []string{"/id", "/credentials", "/created_at", "/updated_at", "/state_changed_at", "/schema_url", "/organization_id"}

func forbiddenPath(p string) bool {
	for _, f := range forbiddenPatchPaths {
		if p == f || strings.HasPrefix(p, f+"/") {
			return true
		}
	}
	return false
}

// maxPatchOperations caps one JSON Patch: an operator's change touches a few fields, and each
// operation costs a walk (and for copy, a deep copy) of the whole identity.
const maxPatchOperations = 100

var errPatchTooLarge = apierr.ErrBadRequest.WithReason("The patched identity would exceed %d bytes.", httpx.MaxBodyBytes)

// patchOptions bound what "copy" may add (each copy used to double the identity: 2 KB of patch
// gave a 66 MB reply): the patched identity may be no larger than a PUT body could be.
func patchOptions() *jsonpatch.ApplyOptions {
	o := jsonpatch.NewApplyOptions()
	o.AccumulatedCopySizeLimit = httpx.MaxBodyBytes
	return o
}

// patch is patchIdentity: an RFC 6902 JSON Patch against the identity's JSON.
func (h *IdentityHandler) patch(w http.ResponseWriter, r *http.Request) error {
	id, err := identityID(r)
	if err != nil {
		return err
	}
	var raw json.RawMessage
	if err := httpx.DecodeJSON(r, &raw); err != nil {
		return err
	}
	p, err := jsonpatch.DecodePatch(raw)
	if err != nil {
		return apierr.ErrBadRequest.WithReason("The JSON Patch document is invalid: %s", err).WithCause(err)
	}
	if len(p) > maxPatchOperations {
		return apierr.ErrBadRequest.WithReason("A JSON Patch may hold at most %d operations.", maxPatchOperations)
	}
	for _, op := range p {
		path, perr := op.Path()
		if perr != nil {
			return apierr.ErrBadRequest.WithReason("A JSON Patch operation has no path.")
		}
		from, _ := op.From()
		if forbiddenPath(path) || (from != "" && op.Kind() == "move" && forbiddenPath(from)) {
			return apierr.ErrBadRequest.WithReason("The JSON Patch may not change %s.", path)
		}
	}
	ident, err := h.store.GetIdentity(r.Context(), id, true)
	if err != nil {
		return err
	}
	doc, err := json.Marshal(h.render(ident, nil))
	if err != nil {
		return err
	}
	patched, err := p.ApplyWithOptions(doc, patchOptions())
	var tooBig *jsonpatch.AccumulatedCopySizeError
	switch {
	case errors.As(err, &tooBig):
		return errPatchTooLarge.WithCause(err)
	case err != nil:
		return apierr.ErrBadRequest.WithReason("The JSON Patch could not be applied: %s", err).WithCause(err)
	case len(patched) > httpx.MaxBodyBytes:
		return errPatchTooLarge
	}
	// The patched document is held to the limits a PUT body is: it is what gets stored.
	if err := httpx.DefaultLimits.CheckJSON(patched); err != nil {
		return err
	}
	var next patchable
	dec := json.NewDecoder(bytes.NewReader(patched))
	if err := dec.Decode(&next); err != nil {
		return apierr.ErrBadRequest.WithReason("The patched identity is invalid: %s", strings.TrimPrefix(err.Error(), "json: ")).WithCause(err)
	}
	before := audit.Snapshot(ident)
	if err := h.replace(ident, next.identityFields); err != nil {
		return err
	}
	ident.VerifiableAddresses = next.VerifiableAddresses
	ident.RecoveryAddresses = next.RecoveryAddresses
	if err := h.mgr.Update(h.adminChange(r, audit.IdentityUpdated, before, ident, nil), ident); err != nil {
		return err
	}
	httpx.WriteJSON(w, http.StatusOK, h.render(ident, nil))
	return nil
}
