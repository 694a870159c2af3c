package identity

import (
	"encoding/base64"
	"encoding/json"
	"errors"

	"github.com/portico-auth/portico/internal/apierr"
)

// ErrKeyTaken is in the chain of the conflict the store returns when a WebAuthn or passkey
// credential id is already registered, to another identity or to this one under the other type:
// WebAuthn (section 7.1, registration step 22) has the relying party refuse it, or one
// authenticator answer could sign in to two accounts.
var ErrKeyTaken = errors.New("the WebAuthn credential id is already registered")

// KeyTakenReason is the conflict's reason.
const KeyTakenReason = "This security key or passkey is already registered."

// KeyIDs returns the credential ids of the keys in a webauthn or passkey credential's config, in
// standard base64 (the form the config's JSON holds them in), for the store's index of ids
// across identities; nil for other types.
func (c Credentials) KeyIDs() ([]string, error) {
	if c.Type != CredentialsWebAuthn && c.Type != CredentialsPasskey || len(c.Config) == 0 {
		return nil, nil
	}
	var cfg struct {
		Credentials []struct {
			ID []byte `json:"id"`
		} `json:"credentials"`
	}
	if err := json.Unmarshal(c.Config, &cfg); err != nil {
		return nil, apierr.ErrBadRequest.WithReason("The %s credentials config is not valid.", c.Type).WithCause(err)
	}
	out := make([]string, 0, len(cfg.Credentials))
	for _, k := range cfg.Credentials {
		if len(k.ID) > 0 {
			out = append(out, base64.StdEncoding.EncodeToString(k.ID))
		}
	}
	return out, nil
}
