package identity

import (
	"encoding/json"
	"time"

	"github.com/portico-auth/portico/internal/schema"
)

// CodeConfig is the config of a code credential (Kratos's identityCredentialsCode): the
// addresses one-time codes go to.
type CodeConfig struct {
	Addresses []CodeAddress `json:"addresses"`
}

// CodeAddress is one address of a CodeConfig (Kratos's identityCredentialsCodeAddress).
type CodeAddress struct {
	Channel string `json:"channel"`
	Address string `json:"address"`
}

// codeAddresses are the addresses codes go to for traits extracted as ex: the schema's code
// identifiers, else (a schema that marks none) its email verification addresses, the ones a
// code sign-up and a code sign-in use then.
func codeAddresses(ex *schema.Extracted) []schema.Address {
	if len(ex.CodeIdentifiers) > 0 {
		return ex.CodeIdentifiers
	}
	var out []schema.Address
	for _, a := range ex.VerifiableAddresses {
		if a.Via == "email" {
			out = append(out, a)
		}
	}
	return out
}

// setCodeAddresses keeps an identity's code credential in step with its traits: identifiers
// and config name the addresses codes go to now. As in Kratos, an identity whose schema marks
// a trait as a code identifier gets the credential whichever way it was made (a password
// sign-up, the admin API); one without a code identifier keeps only one it already has (a
// code sign-up's).
func setCodeAddresses(id *Identity, ex *schema.Extracted, now time.Time) {
	c, ok := id.Credentials[CredentialsCode]
	if !ok {
		if len(ex.CodeIdentifiers) == 0 {
			return
		}
		if id.Credentials == nil {
			id.Credentials = map[CredentialsType]Credentials{}
		}
		c = Credentials{Type: CredentialsCode, CreatedAt: now, UpdatedAt: now}
	}
	cfg := CodeConfig{Addresses: []CodeAddress{}}
	identifiers := []string{}
	for _, a := range codeAddresses(ex) {
		cfg.Addresses = append(cfg.Addresses, CodeAddress{Channel: a.Via, Address: a.Value})
		identifiers = append(identifiers, a.Value)
	}
	raw, _ := json.Marshal(cfg) // a struct of strings: cannot fail
	if string(raw) != string(c.Config) {
		c.Config = raw
		c.UpdatedAt = now
	}
	id.Credentials[CredentialsCode] = c
	setIdentifiers(id, CredentialsCode, identifiers, now)
}
