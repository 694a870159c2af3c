package webauthn

import (
	"sync"

	"github.com/google/uuid"

	"github.com/portico-auth/portico/internal/identity"
)

// nameMemoMax bounds the identities a nameMemo remembers.
const nameMemoMax = 1024

// nameMemo remembers the names (see names) of the identities whose settings flows were shown
// last, per identity version: every settings flow shows a ceremony per variant, and reading
// the names from the traits through the schema was 5% of creating a flow with WebAuthn and
// passkeys on. Any stored change of an identity (new traits) gives it a new version.
type nameMemo struct {
	mu sync.Mutex
	m  map[uuid.UUID]memoNames
}

type memoNames struct {
	version       int
	name, display string
}

// names is names(schemas, ident), remembered for ident's version.
func (n *nameMemo) names(schemas identity.Schemas, ident *identity.Identity) (string, string) {
	if ident.Version <= 0 {
		return names(schemas, ident) // not a stored version
	}
	n.mu.Lock()
	e, ok := n.m[ident.ID]
	n.mu.Unlock()
	if ok && e.version == ident.Version {
		return e.name, e.display
	}
	name, display := names(schemas, ident)
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.m == nil {
		n.m = make(map[uuid.UUID]memoNames)
	}
	if _, ok := n.m[ident.ID]; !ok && len(n.m) >= nameMemoMax {
		for k := range n.m {
			delete(n.m, k) // an arbitrary one: the map stays bounded
			break
		}
	}
	n.m[ident.ID] = memoNames{version: ident.Version, name: name, display: display}
	return name, display
}
