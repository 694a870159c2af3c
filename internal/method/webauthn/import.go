package webauthn

import (
	"bytes"
	"encoding/json"
	"time"

	"github.com/go-webauthn/webauthn/protocol/webauthncose"

	"github.com/portico-auth/portico/internal/apierr"
	"github.com/portico-auth/portico/internal/identity"
)

// Bounds of an imported credential: keys per identity, and the lengths WebAuthn allows for a
// credential id (1,023 bytes) and a user handle (64 bytes).
const (
	maxImportedKeys  = 100
	maxCredentialID  = 1023
	maxUserHandleLen = 64
)

// ImportConfig sets ident's credential of type t (webauthn or passkey) from config, in the
// shape the admin API shows it (`portico identities export` writes it): the registered keys
// and the user handle. Every key needs an id (unique within the config) and a COSE public key
// that parses; a passkey credential needs its user handle, which becomes its identifier, as a
// registration sets it. That no other identity holds one of the keys is the store's check
// when the identity is written (409). A field the config does not have, at any level, is
// refused, as the other imports do. A refusal is a 400 in Kratos's error shape. Call the
// identity manager to persist; it sets a webauthn credential's identifiers from the schema.
func ImportConfig(ident *identity.Identity, t identity.CredentialsType, config json.RawMessage, now time.Time) error {
	refuse := func(format string, args ...any) error {
		return apierr.ErrBadRequest.WithReason("credentials."+string(t)+".config: "+format, args...)
	}
	var cfg Config
	dec := json.NewDecoder(bytes.NewReader(config))
	dec.DisallowUnknownFields() // as the totp and lookup_secret imports: a field we would drop is refused
	if err := dec.Decode(&cfg); err != nil {
		return refuse("the config is not {\"credentials\": […], \"user_handle\": …}: %v", err)
	}
	if n := len(cfg.Credentials); n == 0 || n > maxImportedKeys {
		return refuse("credentials holds 1 to %d keys.", maxImportedKeys)
	}
	if len(cfg.UserHandle) > maxUserHandleLen || t == identity.CredentialsPasskey && len(cfg.UserHandle) == 0 {
		return refuse("user_handle must be 1 to %d bytes.", maxUserHandleLen)
	}
	seen := map[string]bool{}
	for i, k := range cfg.Credentials {
		switch {
		case len(k.ID) == 0 || len(k.ID) > maxCredentialID:
			return refuse("credentials[%d].id must be 1 to %d bytes.", i, maxCredentialID)
		case seen[string(k.ID)]:
			return refuse("credentials[%d].id is given twice.", i)
		}
		seen[string(k.ID)] = true
		if _, err := webauthncose.ParsePublicKey(k.PublicKey); err != nil {
			return refuse("credentials[%d].public_key is not a COSE public key.", i)
		}
		if k.AddedAt.IsZero() {
			cfg.Credentials[i].AddedAt = now
		}
	}
	var identifiers []string
	if t == identity.CredentialsPasskey {
		identifiers = []string{HandleIdentifier(cfg.UserHandle)}
	}
	return WriteConfig(ident, t, &cfg, identifiers, now)
}
