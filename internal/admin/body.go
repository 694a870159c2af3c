package admin

import (
	"bytes"
	"encoding/json"
	"net/http"

	"github.com/portico-auth/portico/internal/apierr"
	"github.com/portico-auth/portico/internal/httpx"
	"github.com/portico-auth/portico/internal/identity"
)

// passwordConfig is identityWithCredentialsPasswordConfig.
type passwordConfig struct {
	Password                 string `json:"password"`
	HashedPassword           string `json:"hashed_password"`
	UsePasswordMigrationHook bool   `json:"use_password_migration_hook"`
}

// credentialsBody is identityWithCredentials. Password and oidc are Kratos's imports; totp,
// lookup_secret, webauthn and passkey configs in the shape the admin API shows them are a
// Portico extension (see importedConfig); saml is accepted by name so that its use gets a clear
// 400 instead of "unknown field".
type credentialsBody struct {
	Password *struct {
		Config *passwordConfig `json:"config"`
	} `json:"password"`
	LookupSecret *importedConfig `json:"lookup_secret"`
	OIDC         *oidcImport     `json:"oidc"`
	Passkey      *importedConfig `json:"passkey"`
	SAML         json.RawMessage `json:"saml"`
	TOTP         *importedConfig `json:"totp"`
	WebAuthn     *importedConfig `json:"webauthn"`
}

// importedConfig is a credential's config as include_credential shows it (what `portico
// identities export` writes), brought back when an identity is created.
type importedConfig struct {
	Config json.RawMessage `json:"config"`
}

// imported returns the configs given for the types an importer brings back, by type (absent
// and null configs left out).
func (c *credentialsBody) imported() map[identity.CredentialsType]json.RawMessage {
	out := map[identity.CredentialsType]json.RawMessage{}
	if c == nil {
		return out
	}
	for t, ic := range map[identity.CredentialsType]*importedConfig{
		identity.CredentialsTOTP: c.TOTP, identity.CredentialsLookupSecret: c.LookupSecret,
		identity.CredentialsWebAuthn: c.WebAuthn, identity.CredentialsPasskey: c.Passkey,
	} {
		if ic != nil && len(nullIfEmpty(ic.Config)) > 0 {
			out[t] = ic.Config
		}
	}
	return out
}

func (c *credentialsBody) password() (plain, hashed string, err error) {
	if c == nil {
		return "", "", nil
	}
	if len(nullIfEmpty(c.SAML)) > 0 {
		return "", "", apierr.ErrBadRequest.WithReason("Importing saml credentials is not supported.")
	}
	if c.Password == nil || c.Password.Config == nil {
		return "", "", nil
	}
	cfg := c.Password.Config
	if cfg.UsePasswordMigrationHook {
		return "", "", apierr.ErrBadRequest.WithReason("The password migration hook is not supported.")
	}
	if cfg.Password != "" && cfg.HashedPassword != "" {
		return "", "", apierr.ErrBadRequest.WithReason("Give either a password or a hashed password, not both.")
	}
	return cfg.Password, cfg.HashedPassword, nil
}

// identityFields are the members every identity body shares: createIdentityBody,
// updateIdentityBody and the fields a JSON Patch may change.
type identityFields struct {
	SchemaID       string          `json:"schema_id"`
	Traits         json.RawMessage `json:"traits"`
	State          identity.State  `json:"state"`
	MetadataPublic json.RawMessage `json:"metadata_public"`
	MetadataAdmin  json.RawMessage `json:"metadata_admin"`
	ExternalID     string          `json:"external_id"`
}

// createBody is createIdentityBody.
type createBody struct {
	identityFields
	Credentials         *credentialsBody             `json:"credentials"`
	VerifiableAddresses []identity.VerifiableAddress `json:"verifiable_addresses"`
	RecoveryAddresses   []identity.RecoveryAddress   `json:"recovery_addresses"`
	OrganizationID      json.RawMessage              `json:"organization_id"`
	Region              string                       `json:"region"`
}

// updateBody is updateIdentityBody.
type updateBody struct {
	identityFields
	Credentials *credentialsBody `json:"credentials"`
	Region      string           `json:"region"`
}

// maxExternalIDBytes bounds external_id: an id in another system, stored in a column every
// backend can index.
const maxExternalIDBytes = 255

func checkExternalID(v string) error {
	if len(v) > maxExternalIDBytes {
		return apierr.ErrBadRequest.WithReason("The external_id may be at most %d bytes long.", maxExternalIDBytes)
	}
	return nil
}

// decodeStrict reads a JSON body (413 over the size limit) and decodes it into v, refusing
// unknown fields.
func decodeStrict(r *http.Request, v any) error {
	var raw json.RawMessage
	if err := httpx.DecodeJSON(r, &raw); err != nil {
		return err
	}
	return strictUnmarshal(raw, v)
}

// nullIfEmpty keeps absent metadata as JSON null.
func nullIfEmpty(m json.RawMessage) json.RawMessage {
	if len(bytes.TrimSpace(m)) == 0 || string(bytes.TrimSpace(m)) == "null" {
		return nil
	}
	return m
}

func missingTraits(t json.RawMessage) bool {
	s := string(bytes.TrimSpace(t))
	return s == "" || s == "null"
}
