package sqlstore

import (
	"slices"
	"sync"
	"time"

	"github.com/google/uuid"

	"github.com/portico-auth/portico/internal/identity"
)

// relationCache remembers what a session read, or an identity read with credentials (GetIdentity,
// FindByCredentialsIdentifier), loads besides the session and identity rows —
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
	mu   sync.Mutex
	m    map[uuid.UUID]*relations
	max  int
	tick uint64
}

// relations are one identity's relation rows as read for (version, updated).
type relations struct {
	version     int
	updated     time.Time
	credentials map[identity.CredentialsType]identity.Credentials
	verifiable  []identity.VerifiableAddress
	recovery    []identity.RecoveryAddress
	// used is when the entry was last put or filled, on the cache's tick (see evict).
	used uint64
}

// relationCacheSize is the cache's bound until SetIdentityCacheSize (serve.identity_cache_size)
// says otherwise: an entry is a few hundred bytes to a few KB (WebAuthn keys), so 1,024 keep
// it near 1-4 MB; past the bound the least recently used of a sample goes (evict).
const relationCacheSize = 1024

func newRelationCache(max int) *relationCache {
	return &relationCache{m: make(map[uuid.UUID]*relations), max: max}
}

// SetIdentityCacheSize bounds how many identities' relations session reads remember (0: none,
// every session read loads them); what was remembered is forgotten. Call it before serving.
func (s *Store) SetIdentityCacheSize(n int) {
	s.rels = newRelationCache(max(n, 0))
}

// len is the number of identities remembered.
func (c *relationCache) len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.m)
}

// fill gives id its cached relations when they were read for id's version and updated_at,
// as copies the caller may change.
func (c *relationCache) fill(id *identity.Identity) bool {
	c.mu.Lock()
	r, ok := c.m[id.ID]
	if ok {
		c.tick++
		r.used = c.tick
	}
	c.mu.Unlock()
	// r's fields other than used never change once it is in the map (put replaces the pointer).
	if !ok || r.version != id.Version || !r.updated.Equal(id.UpdatedAt) {
		return false
	}
	id.Credentials = identity.CloneCredentials(r.credentials)
	id.VerifiableAddresses = identity.CloneVerifiable(r.verifiable)
	id.RecoveryAddresses = slices.Clone(r.recovery)
	return true
}

// put remembers id's relations (copied), read with id's version and updated_at in the same
// statement.
func (c *relationCache) put(id *identity.Identity) {
	if c.max == 0 {
		return
	}
	r := &relations{version: id.Version, updated: id.UpdatedAt, credentials: identity.CloneCredentials(id.Credentials),
		verifiable: identity.CloneVerifiable(id.VerifiableAddresses), recovery: slices.Clone(id.RecoveryAddresses)}
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.m[id.ID]; !ok && len(c.m) >= c.max {
		c.evict()
	}
	c.tick++
	r.used = c.tick
	c.m[id.ID] = r
}

// drop forgets an identity (deleted here: one created again under its id in the same
// instant of a test's fixed clock would otherwise match).
func (c *relationCache) drop(id uuid.UUID) {
	c.mu.Lock()
	delete(c.m, id)
	c.mu.Unlock()
}

// evictSample is how many entries one eviction compares: 16 kept 97% of a returning working
// set of half the cache's size (TestRelationCacheKeepsTheReadAgain; 8 kept 88%, an arbitrary
// choice 54%).
const evictSample = 16

// evict removes one entry (c.mu held): of evictSample entries taken in the map's random
// order, the one put or read longest ago (a sampled LRU). Identities read again and again
// so tend to stay while one-off readers go, where an arbitrary choice threw out returning
// identities as often as one-off ones.
func (c *relationCache) evict() {
	var (
		oldest uuid.UUID
		at     uint64
		n      int
	)
	for k, r := range c.m {
		if n == 0 || r.used < at {
			oldest, at = k, r.used
		}
		if n++; n == evictSample {
			break
		}
	}
	delete(c.m, oldest)
}
