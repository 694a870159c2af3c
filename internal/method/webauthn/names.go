package webauthn

import (
	"github.com/portico-auth/portico/internal/identity"
)

// nameMemoMax bounds the identities a nameMemo remembers.
const nameMemoMax = 1024

// nameMemo remembers the names (see names) of the identities whose settings flows were shown
// last, per identity version: every settings flow shows a ceremony per variant, and reading
// the names from the traits through the schema was 5% of creating a flow with WebAuthn and
// passkeys on. Any stored change of an identity (new traits) gives it a new version.
type nameMemo struct {
	identity.VersionMemo[memoNames]
}

type memoNames struct{ name, display string }

// names is names(schemas, ident), remembered for ident's version.
func (n *nameMemo) names(schemas identity.Schemas, ident *identity.Identity) (string, string) {
	if e, ok := n.Get(ident.ID, ident.Version); ok {
		return e.name, e.display
	}
	name, display := names(schemas, ident)
	n.Put(ident.ID, ident.Version, nameMemoMax, memoNames{name: name, display: display})
	return name, display
}
