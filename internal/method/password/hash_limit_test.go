package password_test

import (
	"fmt"
	"net/http"
	"sync"
	"testing"

	"github.com/portico-auth/portico/internal/apptest"
)

// TestArgon2LoginsBoundedConcurrency (issue 11 finding 5b): with argon2, many concurrent
// sign-ins for unknown identifiers (each costs a dummy hash) never run more hashes at once
// than the limit sized from the hasher's memory, so memory stays bounded however many arrive.
func TestArgon2LoginsBoundedConcurrency(t *testing.T) {
	s := apptest.Start(t,
		apptest.WithEnv("HASHERS_ALGORITHM", "argon2"),
		apptest.WithEnv("HASHERS_ARGON2_MEMORY", "8MB"),
		apptest.WithEnv("HASHERS_ARGON2_ITERATIONS", "1"),
		apptest.WithEnv("HASHERS_ARGON2_PARALLELISM", "1"),
	)
	const n = 24
	flows := nativeLoginFlows(t, s, n)
	var wg sync.WaitGroup
	var mu sync.Mutex
	counts := map[int]int{}
	for i, id := range flows {
		wg.Add(1)
		go func() {
			defer wg.Done()
			res := s.Native(t).PostJSON(s.PublicURL("/self-service/login?flow="+id), map[string]any{
				"method": "password", "identifier": fmt.Sprintf("nobody%d@example.com", i), "password": "some password",
			})
			mu.Lock()
			counts[res.StatusCode]++
			mu.Unlock()
		}()
	}
	wg.Wait()
	if counts[http.StatusBadRequest] != n {
		t.Fatalf("answers %v, want %d×400", counts, n)
	}
	st := s.App.Hasher.Stats()
	if st.Peak > st.Limit || st.Peak < 1 {
		t.Fatalf("%d concurrent argon2 logins ran %d hashes at once; the limit is %d", n, st.Peak, st.Limit)
	}
	t.Logf("limit %d, peak %d", st.Limit, st.Peak)
}
