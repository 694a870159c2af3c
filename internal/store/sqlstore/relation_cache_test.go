package sqlstore

import (
	"sync"
	"testing"

	"github.com/google/uuid"

	"github.com/portico-auth/portico/internal/identity"
)

// TestRelationCacheKeepsTheReadAgain: a cache of 100, 50 identities read again after every
// 30 new, never-again readers: the returning identities stay remembered (2.6% of their reads
// missed; an arbitrary eviction missed 46%, a sample of 8 11.6%), and the cache never grows
// past its bound.
func TestRelationCacheKeepsTheReadAgain(t *testing.T) {
	c := newRelationCache(100)
	read := func(id uuid.UUID) bool {
		x := &identity.Identity{ID: id, Version: 1}
		if c.fill(x) {
			return true
		}
		c.put(x)
		return false
	}
	hot := make([]uuid.UUID, 50)
	for i := range hot {
		hot[i] = uuid.New()
		read(hot[i])
	}
	misses, reads := 0, 0
	for range 200 {
		for range 30 {
			read(uuid.New())
		}
		for _, id := range hot {
			reads++
			if !read(id) {
				misses++
			}
		}
		if n := c.len(); n > 100 {
			t.Fatalf("%d entries in a cache of 100", n)
		}
	}
	t.Logf("returning identities missed %d of %d reads", misses, reads)
	if misses*10 > reads {
		t.Errorf("returning identities missed %d of %d reads (want under 10%%)", misses, reads)
	}
}

// TestRelationCacheConcurrent: 100 readers filling and putting at once over 50 identities in
// a cache of 10 (run with -race): the bound holds and every hit is of the identity asked for.
func TestRelationCacheConcurrent(t *testing.T) {
	c := newRelationCache(10)
	ids := make([]uuid.UUID, 50)
	for i := range ids {
		ids[i] = uuid.New()
	}
	var wg sync.WaitGroup
	for g := range 100 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 200 {
				id := ids[(g*7+i)%len(ids)]
				x := &identity.Identity{ID: id, Version: 1}
				if c.fill(x) {
					if x.Credentials["password"].Identifiers[0] != id.String() {
						t.Errorf("identity %s got %v", id, x.Credentials)
						return
					}
					continue
				}
				x.Credentials = map[identity.CredentialsType]identity.Credentials{"password": {Identifiers: []string{id.String()}}}
				c.put(x)
			}
		}()
	}
	wg.Wait()
	if n := c.len(); n > 10 {
		t.Fatalf("%d entries in a cache of 10", n)
	}
}
