package audithttp_test

import (
	"database/sql"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/portico-auth/portico/internal/apptest"
)

// eventRows counts every stored audit event.
func eventRows(t *testing.T, s *apptest.Server) int {
	t.Helper()
	var n int
	if err := s.App.Store.(interface{ DB() *sql.DB }).DB().QueryRow("SELECT COUNT(*) FROM audit_events").Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// TestUnknownIdentifiersStoreNothing: 1,000 failed sign-ins on identifiers no identity holds
// (passwords and sign-in codes, 125 clients at once behind a trusted proxy, from ten client
// addresses, so that the password attempts run into the per-address budget too) add no row to
// the audit trail: each is counted in portico_audit_events_unstored_total instead. A wrong
// password for an identity that exists is still stored under it.
func TestUnknownIdentifiersStoreNothing(t *testing.T) {
	s := apptest.Start(t, apptest.WithEnv("SERVE_PUBLIC_TRUSTED_PROXIES", "127.0.0.0/8,::1"),
		apptest.WithEnv("SELFSERVICE_METHODS_CODE_PASSWORDLESS_ENABLED", "true"))
	email := apptest.Email("known-among-strangers")
	id := s.CreateIdentity(t, email, "a long enough password")
	rows0 := eventRows(t, s)
	counted0 := s.Unstored(t, "sign_in_failed", "password") + s.Unstored(t, "sign_in_throttled", "password") +
		s.Unstored(t, "sign_in_failed", "code")

	const attempts, clients, sources = 1000, 125, 10
	var next atomic.Int64
	var mu sync.Mutex
	statuses := map[int]int{}
	var wg sync.WaitGroup
	for range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			app := s.Native(t)
			for {
				i := next.Add(1) - 1
				if i >= attempts {
					return
				}
				var f struct{ ID string }
				if err := json.Unmarshal(app.Get(s.PublicURL("/self-service/login/api")).Body, &f); err != nil || f.ID == "" {
					t.Errorf("attempt %d: no login flow (%v)", i, err)
					return
				}
				body := map[string]string{"method": "password", "identifier": fmt.Sprintf("stranger-%d@example.com", i), "password": "Winter2026!"}
				if i%2 == 1 {
					body = map[string]string{"method": "code", "identifier": fmt.Sprintf("stranger-%d@example.com", i), "code": "123456"}
				}
				raw, _ := json.Marshal(body)
				res := app.Do(http.MethodPost, s.PublicURL("/self-service/login?flow="+f.ID), strings.NewReader(string(raw)), http.Header{
					"Content-Type":    {"application/json"},
					"X-Forwarded-For": {fmt.Sprintf("198.51.100.%d", i%sources+1)},
				})
				mu.Lock()
				statuses[res.StatusCode]++
				mu.Unlock()
			}
		}()
	}
	wg.Wait()

	if statuses[http.StatusBadRequest]+statuses[http.StatusTooManyRequests] != attempts || statuses[http.StatusTooManyRequests] == 0 {
		t.Fatalf("replies by status: %v; want %d refusals, some of them 429", statuses, attempts)
	}
	if rows := eventRows(t, s); rows != rows0 {
		t.Errorf("the audit trail grew by %d rows for %d attempts on unknown identifiers", rows-rows0, attempts)
	}
	counted := s.Unstored(t, "sign_in_failed", "password") + s.Unstored(t, "sign_in_throttled", "password") +
		s.Unstored(t, "sign_in_failed", "code")
	if counted-counted0 != attempts {
		t.Errorf("%d unstored events counted, want %d", counted-counted0, attempts)
	}

	// A wrong password for an identity that exists, from an address with budget left: stored.
	app := s.Native(t)
	var f struct{ ID string }
	app.Get(s.PublicURL("/self-service/login/api")).JSON(t, &f)
	res := app.Do(http.MethodPost, s.PublicURL("/self-service/login?flow="+f.ID),
		strings.NewReader(`{"method":"password","identifier":"`+email+`","password":"wrong password!"}`),
		http.Header{"Content-Type": {"application/json"}, "X-Forwarded-For": {"198.51.100.200"}})
	if res.StatusCode != http.StatusBadRequest {
		t.Fatalf("wrong password: %d %s", res.StatusCode, res.Body)
	}
	if rows := eventRows(t, s); rows != rows0+1 {
		t.Errorf("a known identity's failure added %d rows, want 1", rows-rows0)
	}
	if evs := trail(t, s, id.ID.String()); types(evs) != "sign_in_failed" || evs[0].IPAddress != "198.51.100.200" {
		t.Errorf("trail of the known identity = %q %+v", types(evs), evs)
	}
}
