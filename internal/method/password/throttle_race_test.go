package password_test

import (
	"net/http"
	"sync"
	"testing"

	"github.com/portico-auth/portico/internal/apptest"
)

const (
	raceEmail    = "race@example.com"
	racePassword = "a long and correct passphrase"
)

// nativeLoginFlows creates n native login flows up front, so that the burst that follows
// is only submissions.
func nativeLoginFlows(t *testing.T, s *apptest.Server, n int) []string {
	t.Helper()
	ids := make([]string, n)
	app := s.Native(t)
	for i := range ids {
		res := app.Get(s.PublicURL("/self-service/login/api"))
		if res.StatusCode != http.StatusOK {
			t.Fatalf("create login flow: %d %s", res.StatusCode, res.Body)
		}
		var f struct{ ID string }
		res.JSON(t, &f)
		ids[i] = f.ID
	}
	return ids
}

// burst submits one password attempt per flow, all at once, and counts the answers by status.
func burst(t *testing.T, s *apptest.Server, flows []string, identifier string, password func(i int) string) map[int]int {
	t.Helper()
	var mu sync.Mutex
	counts := map[int]int{}
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i, id := range flows {
		wg.Add(1)
		go func() {
			defer wg.Done()
			app := s.Native(t)
			<-start
			res := app.PostJSON(s.PublicURL("/self-service/login?flow="+id), map[string]any{
				"method": "password", "identifier": identifier, "password": password(i),
			})
			mu.Lock()
			counts[res.StatusCode]++
			mu.Unlock()
		}()
	}
	close(start)
	wg.Wait()
	return counts
}

// TestThrottleRaceEvaluatesExactlyMax: 100 concurrent wrong passwords for one identifier
// (issue 11 finding 4) have exactly the limit (5) evaluated and the rest refused with 429 before
// any hashing; a correct password that arrives after the limit was hit is refused too.
func TestThrottleRaceEvaluatesExactlyMax(t *testing.T) {
	s := apptest.Start(t)
	s.CreateIdentity(t, raceEmail, racePassword)
	counts := burst(t, s, nativeLoginFlows(t, s, 100), raceEmail, func(int) string { return "wrong password" })
	if counts[http.StatusBadRequest] != 5 || counts[http.StatusTooManyRequests] != 95 {
		t.Fatalf("100 concurrent wrong passwords answered %v; want exactly 5×400 (evaluated) and 95×429", counts)
	}
	right := burst(t, s, nativeLoginFlows(t, s, 1), raceEmail, func(int) string { return racePassword })
	if right[http.StatusTooManyRequests] != 1 {
		t.Fatalf("the right password after the limit answered %v, want 429", right)
	}
}

// TestThrottleRaceRightPasswordInBurst: a correct password hidden in a burst of wrong ones is
// evaluated only if it was among the first five attempts counted. Its success clears the
// identifier's count, so at most five more can follow: never the dozens the race allowed.
func TestThrottleRaceRightPasswordInBurst(t *testing.T) {
	s := apptest.Start(t)
	s.CreateIdentity(t, raceEmail, racePassword)
	counts := burst(t, s, nativeLoginFlows(t, s, 100), raceEmail, func(i int) string {
		if i == 50 {
			return racePassword
		}
		return "wrong password"
	})
	ok, wrong := counts[http.StatusOK], counts[http.StatusBadRequest]
	if ok > 1 || (ok == 0 && wrong != 5) || wrong > 10 || ok+wrong+counts[http.StatusTooManyRequests] != 100 {
		t.Fatalf("burst with one right password answered %v; want at most 5 wrong ones evaluated per success", counts)
	}
}
