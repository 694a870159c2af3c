package identity

import (
	"sync"

	"github.com/google/uuid"
)

// VersionMemo remembers one value per identity, good for one stored version of it: a read
// with another version misses, and any stored change of an identity gives it a new version.
// Versions <= 0 (an identity not read from the store) are never remembered. The zero value
// is ready to use and safe for concurrent use.
type VersionMemo[V any] struct {
	mu sync.Mutex
	m  map[uuid.UUID]*versioned[V]
	// tick counts Gets that found an identity and Puts; an entry's used is the tick it was last
	// put or found at (see evict).
	tick uint64
}

type versioned[V any] struct {
	version int
	v       V
	used    uint64
}

// Get is the value remembered for identity id at version.
func (m *VersionMemo[V]) Get(id uuid.UUID, version int) (V, bool) {
	var zero V
	if version <= 0 {
		return zero, false
	}
	m.mu.Lock()
	e, ok := m.m[id]
	var (
		v    V
		same bool
	)
	if ok {
		m.tick++
		e.used = m.tick
		v, same = e.v, e.version == version
	}
	m.mu.Unlock()
	if !same {
		return zero, false
	}
	return v, true
}

// Put remembers v for identity id at version, keeping at most max identities: past that a
// new identity takes the place of the one put or read longest ago among memoEvictSample of
// them (a sampled LRU, as the store's relation cache does), so identities read again and again
// stay while one-off ones go.
func (m *VersionMemo[V]) Put(id uuid.UUID, version, max int, v V) {
	if version <= 0 || max <= 0 {
		return
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.m == nil {
		m.m = make(map[uuid.UUID]*versioned[V])
	}
	if _, ok := m.m[id]; !ok && len(m.m) >= max {
		m.evict()
	}
	m.tick++
	m.m[id] = &versioned[V]{version: version, v: v, used: m.tick}
}

// memoEvictSample is how many entries one eviction compares: 16 kept 97% of a returning
// working set of half the memory's size in the store's relation cache, which is a VersionMemo
// (TestRelationCacheKeepsTheReadAgain; 8 kept 88%, an arbitrary choice 54%).
const memoEvictSample = 16

// evict removes one entry (m.mu held): of memoEvictSample entries taken in the map's random
// order, the one put or read longest ago.
func (m *VersionMemo[V]) evict() {
	var (
		oldest uuid.UUID
		at     uint64
		n      int
	)
	for k, e := range m.m {
		if n == 0 || e.used < at {
			oldest, at = k, e.used
		}
		if n++; n == memoEvictSample {
			break
		}
	}
	delete(m.m, oldest)
}

// Forget drops what is remembered for identity id.
func (m *VersionMemo[V]) Forget(id uuid.UUID) {
	m.mu.Lock()
	delete(m.m, id)
	m.mu.Unlock()
}

// Len is how many identities are remembered.
func (m *VersionMemo[V]) Len() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.m)
}
