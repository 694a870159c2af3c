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
	m  map[uuid.UUID]versioned[V]
}

type versioned[V any] struct {
	version int
	v       V
}

// Get is the value remembered for identity id at version.
func (m *VersionMemo[V]) Get(id uuid.UUID, version int) (V, bool) {
	var zero V
	if version <= 0 {
		return zero, false
	}
	m.mu.Lock()
	e, ok := m.m[id]
	m.mu.Unlock()
	if !ok || e.version != version {
		return zero, false
	}
	return e.v, true
}

// Put remembers v for identity id at version, keeping at most max identities: past that a
// new identity takes the place of an arbitrary one, so the memo stays bounded.
func (m *VersionMemo[V]) Put(id uuid.UUID, version, max int, v V) {
	if version <= 0 {
		return
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.m == nil {
		m.m = make(map[uuid.UUID]versioned[V])
	}
	if _, ok := m.m[id]; !ok && len(m.m) >= max {
		for k := range m.m {
			delete(m.m, k)
			break
		}
	}
	m.m[id] = versioned[V]{version: version, v: v}
}

// Len is how many identities are remembered.
func (m *VersionMemo[V]) Len() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.m)
}
