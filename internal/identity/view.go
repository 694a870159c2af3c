package identity

import (
	"encoding/base64"
	"strings"
)

// SchemaURL is where the public listener serves the schema schemaID:
// <publicBase>/schemas/<schemaID, base64url>. publicBase is serve.public.base_url.
func SchemaURL(publicBase, schemaID string) string {
	return strings.TrimSuffix(publicBase, "/") + "/schemas/" + base64.RawURLEncoding.EncodeToString([]byte(schemaID))
}

// Shown is the one wire view of an identity: a copy of i with its schema_url on publicBase and
// empty address lists as [] (Kratos's replies never carry null there). Credentials and admin
// metadata are kept as they are: Public drops them, the admin API chooses what to keep.
func (i *Identity) Shown(publicBase string) *Identity {
	c := *i
	c.SchemaURL = SchemaURL(publicBase, i.SchemaID)
	if c.VerifiableAddresses == nil {
		c.VerifiableAddresses = []VerifiableAddress{}
	}
	if c.RecoveryAddresses == nil {
		c.RecoveryAddresses = []RecoveryAddress{}
	}
	return &c
}

// Public is the identity as the public API shows it (in a session, after a registration, on a
// settings flow): Shown without credentials and without admin metadata. A nil i stays nil.
func (i *Identity) Public(publicBase string) *Identity {
	if i == nil {
		return nil
	}
	c := i.Shown(publicBase)
	c.Credentials = nil
	c.MetadataAdmin = nil
	return c
}
