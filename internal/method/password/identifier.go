package password

import (
	"github.com/portico-auth/portico/internal/identity"
	"github.com/portico-auth/portico/internal/schema"
	"github.com/portico-auth/portico/internal/text"
)

// identifierLabel labels the login identifier input after the schema's first password
// identifier trait ("E-Mail" for traits.email), as Kratos does.
func identifierLabel(s *schema.Schema) text.Message {
	if s != nil {
		for _, f := range s.TraitFields() {
			if f.IsPasswordIdentifier {
				return text.NewLabelField(f.Path, f.Title)
			}
		}
	}
	return text.New(text.InfoNodeLabelID, nil)
}

// passwordIdentifier is the identity's first password identifier, or "".
func passwordIdentifier(i *identity.Identity) string {
	if i == nil {
		return ""
	}
	if c, ok := i.Credentials[identity.CredentialsPassword]; ok && len(c.Identifiers) > 0 {
		return c.Identifiers[0]
	}
	return ""
}
