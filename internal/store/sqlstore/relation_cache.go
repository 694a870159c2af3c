package sqlstore

import (
	"slices"
	"sync"
	"time"

	"github.com/google/uuid"

	"github.com/portico-auth/portico/internal/identity"
)

// relationCache remembers what a session read loads besides the session and identity rows —
// the identity's credentials (with configs) and addresses — by identity id, for the identity
// row's version and updated_at they were read with. Every write of those rows moves the
// identity's version on in the same transaction (UpdateIdentity, the address writes), and a
// deleted identity that comes back (an import) has another updated_at, so an entry whose
// version and updated_at are the identity row's, read fresh from the database by every session
// read, holds exactly that row's relations, whichever instance wrote them.
//
// A session read whose identity is in the cache reads the session and identity rows only
// (one row, no union of four branches and no sort): on whoami and on every flow read that is
// most of the database work (the union query was 65% of whoami's CPU in-process).
type relationCache struct {
	mu  sync.Mutex
	m   map[uuid.UUID]relations
	max int
}

// relations are one identity's relation rows as read for (version, updated).
type relations struct {
	version     int
	updated     time.Time
	credentials map[identity.CredentialsType]identity.Credentials
	verifiable  []identity.VerifiableAddress
	recovery    []identity.RecoveryAddress
}

// relationCacheSize bounds the cache: an entry is a few hundred bytes to a few KB (WebAuthn
// keys), so the bound keeps it near 1-4 MB; past it an arbitrary entry goes.
const relationCacheSize = 1024

func newRelationCache(max int) *relationCache {
	return &relationCache{m: make(map[uuid.UUID]relations), max: max}
}

// fill gives id its cached relations when they were read for id's version and updated_at,
// as copies the caller may change.
func (c *relationCache) fill(id *identity.Identity) bool {
	c.mu.Lock()
	r, ok := c.m[id.ID]
	c.mu.Unlock()
	if !ok || r.version != id.Version || !r.updated.Equal(id.UpdatedAt) {
		return false
	}
	id.Credentials = cloneCredentials(r.credentials)
	id.VerifiableAddresses = slices.Clone(r.verifiable)
	id.RecoveryAddresses = slices.Clone(r.recovery)
	return true
}

// put remembers id's relations (copied), read with id's version and updated_at in the same
// statement.
func (c *relationCache) put(id *identity.Identity) {
	r := relations{version: id.Version, updated: id.UpdatedAt, credentials: cloneCredentials(id.Credentials),
		verifiable: slices.Clone(id.VerifiableAddresses), recovery: slices.Clone(id.RecoveryAddresses)}
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.m[id.ID]; !ok && len(c.m) >= c.max {
		for k := range c.m {
			delete(c.m, k)
			break
		}
	}
	c.m[id.ID] = r
}

// drop forgets an identity (deleted here: one created again under its id in the same
// instant of a test's fixed clock would otherwise match).
func (c *relationCache) drop(id uuid.UUID) {
	c.mu.Lock()
	delete(c.m, id)
	c.mu.Unlock()
}

// cloneCredentials copies the map, identifier lists and configs, so no two holders share a
// byte they could change.
func cloneCredentials(in map[identity.CredentialsType]identity.Credentials) map[identity.CredentialsType]identity.Credentials {
	out := make(map[identity.CredentialsType]identity.Credentials, len(in))
	for t, c := range in {
		c.Identifiers = slices.Clone(c.Identifiers)
		c.Config = slices.Clone(c.Config)
		out[t] = c
	}
	return out
}
