package totp_test

import (
	"net/http"
	"sync"
	"testing"

	"github.com/portico-auth/portico/internal/apptest/mfatest"
)

// TestSecondFactorThrottleRace: 100 concurrent wrong TOTP codes for one identity (issue 11
// finding 4) have exactly the limit (5) evaluated; the rest are refused with 429 without being
// checked, and afterwards even the right code is refused.
func TestSecondFactorThrottleRace(t *testing.T) {
	s, secret, p := enrolledAgain(t, "native", "race@example.com")
	flows := make([]map[string]any, 100)
	for i := range flows {
		if _, flows[i] = p.StartLogin("aal=aal2"); flows[i] == nil {
			t.Fatal("no aal2 login flow")
		}
	}
	wrong := "000000"
	if code(t, secret, s.Clock.Now()) == wrong {
		wrong = "111111"
	}
	var mu sync.Mutex
	counts := map[int]int{}
	var wg sync.WaitGroup
	begin := make(chan struct{})
	for _, f := range flows {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-begin
			res := p.C.PostJSON(mfatest.Str(f, "ui", "action"), map[string]any{"method": "totp", "totp_code": wrong})
			mu.Lock()
			counts[res.StatusCode]++
			mu.Unlock()
		}()
	}
	close(begin)
	wg.Wait()
	if counts[http.StatusBadRequest] != 5 || counts[http.StatusTooManyRequests] != 95 {
		t.Fatalf("100 concurrent wrong codes answered %v; want exactly 5×400 and 95×429", counts)
	}
	_, lf := p.StartLogin("aal=aal2")
	res, _ := p.Submit("login", lf, map[string]any{"method": "totp", "totp_code": code(t, secret, s.Clock.Now())})
	if res.StatusCode != http.StatusTooManyRequests {
		t.Fatalf("right code after the burst: %d %s", res.StatusCode, res.Body)
	}
}
