package login_test

import (
	"fmt"
	"net/http"
	"path/filepath"
	"sync"
	"testing"

	"github.com/portico-auth/portico/internal/apptest"
)

// TestConcurrentLoginsDoNotStall: on SQLite (a file, and the shared in-memory database) many
// password logins, registrations and settings flows at once all succeed — Kratos answers two
// or more concurrent logins there with busy errors or 500s.
func TestConcurrentLoginsDoNotStall(t *testing.T) {
	for name, dsn := range map[string]string{
		"sqlite file": "sqlite://" + filepath.Join(t.TempDir(), "concurrent.db") + "?_fk=true",
		"memory":      "memory",
	} {
		t.Run(name, func(t *testing.T) {
			s := apptest.Start(t, apptest.WithDSN(dsn))
			const n = 16
			for i := 0; i < n; i++ {
				s.CreateIdentity(t, fmt.Sprintf("c%d@example.com", i), "a shared long passphrase")
			}
			var wg sync.WaitGroup
			errs := make(chan string, 3*n)
			for i := 0; i < n; i++ {
				wg.Add(1)
				go func(i int) {
					defer wg.Done()
					app := s.Native(t)
					f := app.Get(s.PublicURL("/self-service/login/api"))
					var flow struct{ ID string }
					f.JSON(t, &flow)
					res := app.PostJSON(s.PublicURL("/self-service/login?flow="+flow.ID), map[string]any{
						"method": "password", "identifier": fmt.Sprintf("c%d@example.com", i), "password": "a shared long passphrase",
					})
					if res.StatusCode != http.StatusOK {
						errs <- fmt.Sprintf("login %d: %d %s", i, res.StatusCode, res.Body)
						return
					}
					var out struct {
						SessionToken string `json:"session_token"`
					}
					res.JSON(t, &out)
					app.Header.Set("X-Session-Token", out.SessionToken)
					if r := app.Get(s.PublicURL("/self-service/settings/api")); r.StatusCode != http.StatusOK {
						errs <- fmt.Sprintf("settings %d: %d %s", i, r.StatusCode, r.Body)
					}
					reg := s.Native(t)
					rf := reg.Get(s.PublicURL("/self-service/registration/api"))
					rf.JSON(t, &flow)
					rr := reg.PostJSON(s.PublicURL("/self-service/registration?flow="+flow.ID), map[string]any{
						"method": "password", "traits": map[string]any{"email": fmt.Sprintf("new%d@example.com", i)},
						"password": "another long passphrase",
					})
					if rr.StatusCode != http.StatusOK {
						errs <- fmt.Sprintf("registration %d: %d %s", i, rr.StatusCode, rr.Body)
					}
				}(i)
			}
			wg.Wait()
			close(errs)
			for e := range errs {
				t.Error(e)
			}
		})
	}
}
