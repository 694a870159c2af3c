package identity_test

import (
	"sync"
	"testing"

	"github.com/google/uuid"

	"github.com/portico-auth/portico/internal/identity"
)

func TestVersionMemo(t *testing.T) {
	var m identity.VersionMemo[string]
	id := uuid.New()
	m.Put(id, 0, 4, "unstored")
	if _, ok := m.Get(id, 0); ok || m.Len() != 0 {
		t.Fatal("a version <= 0 was remembered")
	}
	m.Put(id, 2, 4, "v2")
	if v, ok := m.Get(id, 2); !ok || v != "v2" {
		t.Fatalf("Get(2) = %q, %v", v, ok)
	}
	if _, ok := m.Get(id, 3); ok {
		t.Fatal("another version was served")
	}
	m.Put(id, 3, 4, "v3")
	if v, _ := m.Get(id, 3); v != "v3" || m.Len() != 1 {
		t.Fatalf("a new version did not replace the old one: %q, %d identities", v, m.Len())
	}
	// 200 goroutines put and get at once; the memo stays within its bound.
	var wg sync.WaitGroup
	for i := range 200 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			other := uuid.New()
			m.Put(other, i+1, 4, "x")
			m.Get(other, i+1)
		}()
	}
	wg.Wait()
	if m.Len() > 4 {
		t.Fatalf("%d identities remembered, at most 4", m.Len())
	}
}

// TestVersionMemoKeepsTheHotOne: an identity read between every put of a stream of 10,000
// one-off identities stays remembered in a memo of 64 (a sampled LRU evicts one of the
// one-off ones); an arbitrary eviction threw it out within a few hundred puts.
func TestVersionMemoKeepsTheHotOne(t *testing.T) {
	var m identity.VersionMemo[int]
	const max = 64
	hot := uuid.New()
	m.Put(hot, 1, max, -1)
	for i := range 10_000 {
		m.Put(uuid.New(), 1, max, i)
		if v, ok := m.Get(hot, 1); !ok || v != -1 {
			t.Fatalf("the identity read between every put was evicted after %d cold puts", i+1)
		}
	}
	if m.Len() != max {
		t.Fatalf("%d identities remembered, want the bound %d", m.Len(), max)
	}
}
