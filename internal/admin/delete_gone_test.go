package admin_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/portico-auth/portico/internal/apptest"
	"github.com/portico-auth/portico/internal/session"
	"github.com/portico-auth/portico/internal/testdb"
)

// TestDeleteIdentityGoneAtOnce: DELETE /admin/identities/{id} of an identity with 2,000
// sessions, while 100 clients call whoami with its sessions and GET the identity from the
// admin API. The identity is gone at once, its rows follow: once any whoami of its sessions
// has answered 401, no request started after that sees the identity (admin GET 200) or a
// working session of it (whoami 200), and every request started after the DELETE answered
// gets 404 / 401. Whoami of a deleted identity's session answers as for an unknown token (as
// Kratos, whose sessions go with their identity); a second DELETE is 404; signing in with its
// identifier fails as for an unknown identifier; the admin list does not show it; its e-mail
// can be used by a new identity at once.
func TestDeleteIdentityGoneAtOnce(t *testing.T) {
	srv := apptest.Start(t, apptest.WithConfig("session:\n  max_per_identity: 0\n"))
	const pw = "a long enough passphrase 1"
	victim := srv.CreateIdentity(t, "victim@example.org", pw)
	srv.CreateIdentity(t, "bystander@example.org", pw)
	const n = 2000
	tokens := make([]string, n)
	for i := range tokens {
		tokens[i] = srv.IssueSession(t, victim, session.AAL1)
		srv.Clock.Advance(1e6) // a millisecond: the batches delete the oldest first
	}
	bystander := srv.LoginNative(t, "bystander@example.org", pw)

	hc := &http.Client{}
	do := func(method, url, token string) (int, []byte, error) {
		req, err := http.NewRequest(method, url, nil)
		if err != nil {
			return 0, nil, err
		}
		if token != "" {
			req.Header.Set("X-Session-Token", token)
		}
		res, err := hc.Do(req)
		if err != nil {
			return 0, nil, err
		}
		defer res.Body.Close()
		b, err := io.ReadAll(res.Body)
		return res.StatusCode, b, err
	}
	whoami := srv.PublicURL("/sessions/whoami")
	adminGet := srv.AdminURL("/admin/identities/" + victim.ID.String())

	var (
		gone, returned, stop atomic.Bool
		wg                   sync.WaitGroup
	)
	var bad testdb.Reports
	report := bad.Add
	for c := range 100 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; !stop.Load(); i++ {
				after, afterReturn := gone.Load(), returned.Load()
				what, url, tok, absent := "", whoami, "", http.StatusUnauthorized
				if (c+i)%5 == 0 {
					what, url, absent = "admin GET", adminGet, http.StatusNotFound
				} else {
					k := (c*31 + i*97) % n
					what, tok = fmt.Sprintf("whoami of session %d", k), tokens[k]
				}
				code, body, err := do(http.MethodGet, url, tok)
				switch {
				case err != nil:
					report("%s: %v", what, err)
				case code == absent:
					if tok != "" {
						gone.Store(true)
					}
				case code != http.StatusOK:
					report("%s: %d %s", what, code, body)
				case afterReturn:
					report("%s answered 200 though it started after the DELETE answered", what)
				case after:
					report("%s answered 200 though it started after a session of the identity answered 401", what)
				}
			}
		}()
	}
	code, body, err := do(http.MethodDelete, adminGet, "")
	returned.Store(true)
	for range 50 {
		if c, _, _ := do(http.MethodGet, whoami, tokens[n-1]); c != http.StatusUnauthorized {
			report("whoami of the newest session after the DELETE: %d", c)
		}
	}
	stop.Store(true)
	wg.Wait()
	if err != nil || code != http.StatusNoContent {
		t.Fatalf("DELETE: %d %s %v", code, body, err)
	}
	bad.Fail(t)

	// The same reply as for a token that never existed.
	_, deleted, _ := do(http.MethodGet, whoami, tokens[n-1])
	_, unknown, _ := do(http.MethodGet, whoami, "ory_st_neverissued0000000000000000")
	if errorOf(t, deleted) != errorOf(t, unknown) {
		t.Errorf("whoami of a deleted identity's session:\n%s\nof an unknown token:\n%s", deleted, unknown)
	}
	if c, b, _ := do(http.MethodDelete, adminGet, ""); c != http.StatusNotFound {
		t.Errorf("second DELETE: %d %s", c, b)
	}
	if c, b, _ := do(http.MethodGet, srv.AdminURL("/admin/identities/"+victim.ID.String()+"/sessions"), ""); c == http.StatusOK && !bytes.Equal(bytes.TrimSpace(b), []byte("[]")) {
		t.Errorf("the deleted identity's sessions listed: %s", b)
	}
	if c, b, _ := do(http.MethodGet, srv.AdminURL("/admin/identities?credentials_identifier=victim@example.org"), ""); c != http.StatusOK || !bytes.Equal(bytes.TrimSpace(b), []byte("[]")) {
		t.Errorf("admin list by the deleted identifier: %d %s", c, b)
	}
	if c, _, _ := do(http.MethodGet, whoami, bystander); c != http.StatusOK {
		t.Errorf("the bystander's whoami: %d", c)
	}
	if got, want := loginMessage(t, srv, "victim@example.org", pw), loginMessage(t, srv, "nobody@example.org", pw); got != want {
		t.Errorf("sign-in as the deleted identity: %s, as an unknown identifier: %s", got, want)
	}
	srv.CreateIdentity(t, "victim@example.org", pw)
}

// errorOf is the error object of a Kratos error reply, as JSON.
func errorOf(t *testing.T, b []byte) string {
	t.Helper()
	var v struct{ Error json.RawMessage }
	if err := json.Unmarshal(b, &v); err != nil || len(v.Error) == 0 {
		t.Fatalf("not an error reply: %s", b)
	}
	return string(v.Error)
}

// loginMessage submits a native password login and returns its status and the flow's
// messages.
func loginMessage(t *testing.T, srv *apptest.Server, email, pw string) string {
	t.Helper()
	app := srv.Native(t)
	f := app.Get(srv.PublicURL("/self-service/login/api"))
	var flow struct{ ID string }
	f.JSON(t, &flow)
	res := app.PostJSON(srv.PublicURL("/self-service/login?flow="+flow.ID), map[string]any{
		"method": "password", "identifier": email, "password": pw,
	})
	var out struct {
		UI struct {
			Messages json.RawMessage
		}
	}
	res.JSON(t, &out)
	return fmt.Sprintf("%d %s", res.StatusCode, out.UI.Messages)
}

// TestAdminPutRacingDeleteNeverResurrects: 100 clients PUT /admin/identities/{id} again and
// again while the identity and its 1,000 sessions are deleted. Each PUT answers 200, 404 or
// 409; none that starts after one of the identity's sessions answered whoami's 401 succeeds
// (before, the identity took updates while its sessions were deleted); afterwards the
// identity is 404 for GET and PUT, and its e-mail can be used again.
func TestAdminPutRacingDeleteNeverResurrects(t *testing.T) {
	srv := apptest.Start(t, apptest.WithConfig("session:\n  max_per_identity: 0\n"))
	const pw = "a long enough passphrase 1"
	victim := srv.CreateIdentity(t, "put-victim@example.org", pw)
	const n = 1000
	tokens := make([]string, n)
	for i := range tokens {
		tokens[i] = srv.IssueSession(t, victim, session.AAL1)
		srv.Clock.Advance(1e6)
	}
	hc := &http.Client{}
	do := func(method, url, token, body string) (int, error) {
		req, err := http.NewRequest(method, url, bytes.NewReader([]byte(body)))
		if err != nil {
			return 0, err
		}
		if token != "" {
			req.Header.Set("X-Session-Token", token)
		}
		if body != "" {
			req.Header.Set("Content-Type", "application/json")
		}
		res, err := hc.Do(req)
		if err != nil {
			return 0, err
		}
		defer res.Body.Close()
		_, err = io.Copy(io.Discard, res.Body)
		return res.StatusCode, err
	}
	ident := srv.AdminURL("/admin/identities/" + victim.ID.String())
	var (
		gone, stop atomic.Bool
		wg         sync.WaitGroup
	)
	var bad testdb.Reports
	report := bad.Add
	wg.Add(1)
	go func() {
		defer wg.Done()
		for !stop.Load() {
			if c, _ := do(http.MethodGet, srv.PublicURL("/sessions/whoami"), tokens[0], ""); c == http.StatusUnauthorized {
				gone.Store(true)
				return
			}
		}
	}()
	for c := range 100 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; !stop.Load(); i++ {
				after := gone.Load()
				body := fmt.Sprintf(`{"schema_id":"default","state":"active","traits":{"email":"put-victim@example.org","name":{"first":"P%d-%d"}}}`, c, i)
				code, err := do(http.MethodPut, ident, "", body)
				switch {
				case err != nil:
					report("PUT: %v", err)
				case code == http.StatusOK && after:
					report("PUT started after a session of the identity answered 401 answered 200")
				case code != http.StatusOK && code != http.StatusNotFound && code != http.StatusConflict:
					report("PUT: %d", code)
				}
			}
		}()
	}
	code, err := do(http.MethodDelete, ident, "", "")
	stop.Store(true)
	wg.Wait()
	if err != nil || code != http.StatusNoContent {
		t.Fatalf("DELETE: %d %v", code, err)
	}
	bad.Fail(t)
	if c, _ := do(http.MethodGet, ident, "", ""); c != http.StatusNotFound {
		t.Errorf("GET after the DELETE: %d", c)
	}
	if c, _ := do(http.MethodPut, ident, "", `{"schema_id":"default","state":"active","traits":{"email":"put-victim@example.org"}}`); c != http.StatusNotFound {
		t.Errorf("PUT after the DELETE: %d", c)
	}
	srv.CreateIdentity(t, "put-victim@example.org", pw)
}
