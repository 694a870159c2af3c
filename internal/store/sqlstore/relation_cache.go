package sqlstore

import (
	"slices"
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
// The memory and its eviction (a sampled LRU) are identity.VersionMemo's; the cache adds the
// updated_at check and the copies.
type relationCache struct {
	memo identity.VersionMemo[*relations]
	max  int
}

// relations are one identity's relation rows as read for (version, updated).
type relations struct {
	updated     time.Time
	credentials map[identity.CredentialsType]identity.Credentials
	verifiable  []identity.VerifiableAddress
	recovery    []identity.RecoveryAddress
}

// relationCacheSize is the cache's bound until SetIdentityCacheSize (serve.identity_cache_size)
// says otherwise: an entry is a few hundred bytes to a few KB (WebAuthn keys), so 1,024 keep
// it near 1-4 MB; past the bound the least recently used of a sample goes (VersionMemo.Put).
const relationCacheSize = 1024

func newRelationCache(max int) *relationCache {
	return &relationCache{max: max}
}

// SetIdentityCacheSize bounds how many identities' relations session reads remember (0: none,
// every session read loads them); what was remembered is forgotten. Call it before serving.
func (s *Store) SetIdentityCacheSize(n int) {
	s.rels = newRelationCache(max(n, 0))
}

// len is the number of identities remembered.
func (c *relationCache) len() int { return c.memo.Len() }

// fill gives id its cached relations when they were read for id's version and updated_at,
// as copies the caller may change.
func (c *relationCache) fill(id *identity.Identity) bool {
	// An entry never changes once remembered (put remembers a new one).
	r, ok := c.memo.Get(id.ID, id.Version)
	if !ok || !r.updated.Equal(id.UpdatedAt) {
		return false
	}
	id.Credentials = identity.CloneCredentials(r.credentials)
	id.VerifiableAddresses = identity.CloneVerifiable(r.verifiable)
	id.RecoveryAddresses = slices.Clone(r.recovery)
	return true
}

// put remembers id's relations (copied), read with id's version and updated_at in the same
// statement; past max identities the one used longest ago among a sample goes.
func (c *relationCache) put(id *identity.Identity) {
	if c.max == 0 {
		return
	}
	c.memo.Put(id.ID, id.Version, c.max, &relations{updated: id.UpdatedAt, credentials: identity.CloneCredentials(id.Credentials),
		verifiable: identity.CloneVerifiable(id.VerifiableAddresses), recovery: slices.Clone(id.RecoveryAddresses)})
}

// carry remembers, for the identity row's new version and updated_at, the relations
// remembered for its old ones, when there are any: for an update that moved the version on
// without writing a relation row (a profile update changes traits only), so that the next
// session read need not load the same rows again. It must only be called once that update
// has committed.
func (c *relationCache) carry(id uuid.UUID, oldVersion int, oldUpdated time.Time, newVersion int, newUpdated time.Time) {
	if c.max == 0 {
		return
	}
	r, ok := c.memo.Get(id, oldVersion)
	if !ok || !r.updated.Equal(oldUpdated) {
		return
	}
	// Entries never change once remembered: the new one shares the old one's rows.
	c.memo.Put(id, newVersion, c.max, &relations{updated: newUpdated, credentials: r.credentials,
		verifiable: r.verifiable, recovery: r.recovery})
}

// drop forgets an identity (deleted here: one created again under its id in the same
// instant of a test's fixed clock would otherwise match).
func (c *relationCache) drop(id uuid.UUID) { c.memo.Forget(id) }
