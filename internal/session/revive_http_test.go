package session_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/portico-auth/portico/internal/apptest"
	"github.com/portico-auth/portico/internal/identity"
	"github.com/portico-auth/portico/internal/session"
)

// The attack of issue 11 (finding 3): every request that read a session and then wrote it
// (a logout link, a refresh login, an admin extension) raced an admin revocation and wrote the
// session back as active. These tests race raceRequests such requests against the revocation
// through HTTP, as the attacker did, and require the session to be dead afterwards, every time.

const (
	raceRequests = 100 // concurrent clients
	raceRounds   = 3   // requests each client sends, one after the other
	raceTrials   = 3
)

// raw sends a request outside the test goroutine (no t.Fatal there) and returns the status.
func raw(method, url string, hdr http.Header, body any) (int, []byte, error) {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return 0, nil, err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, url, rd)
	if err != nil {
		return 0, nil, err
	}
	if hdr != nil {
		req.Header = hdr.Clone()
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("Accept", "application/json")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	return res.StatusCode, b, err
}

// raceRevocation has n clients send raceRounds requests each, back to back, and fires the
// admin's DELETE /admin/identities/{id}/sessions (or revoke, when given) the moment the n-th
// request completes, so that
// about n requests are in flight around it: some read the session before the revocation and
// write after it. It fails the test on a 5xx or a transport error, and returns the statuses of
// all requests (request k is the k-th of n*raceRounds).
func raceRevocation(t *testing.T, s *apptest.Server, id *identity.Identity, n int, request func(k int) (int, []byte, error),
	revoke ...func() error) []int {
	t.Helper()
	start := make(chan struct{})
	statuses := make([]int, n*raceRounds)
	errs := make([]error, n*raceRounds)
	var revokeErr error
	var done atomic.Int64
	var wg sync.WaitGroup
	if len(revoke) == 0 {
		revoke = append(revoke, func() error {
			code, body, err := raw(http.MethodDelete, s.AdminURL("/admin/identities/"+id.ID.String()+"/sessions"), nil, nil)
			if err == nil && code != http.StatusNoContent {
				err = fmt.Errorf("revoke: %d %s", code, body)
			}
			return err
		})
	}
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			for r := range raceRounds {
				k := r*n + i
				code, body, err := request(k)
				statuses[k] = code
				if err == nil && code >= 500 {
					err = fmt.Errorf("%d %s", code, body)
				}
				errs[k] = err
				if done.Add(1) == int64(n) {
					wg.Add(1)
					go func() { defer wg.Done(); revokeErr = revoke[0]() }()
				}
			}
		}()
	}
	close(start)
	wg.Wait()
	for k, err := range errs {
		if err != nil {
			t.Errorf("request %d: %v", k, err)
		}
	}
	if revokeErr != nil {
		t.Fatal(revokeErr)
	}
	return statuses
}

// mustBeRevoked checks, as a client would, that the session token no longer works.
func mustBeRevoked(t *testing.T, s *apptest.Server, token, after string) {
	t.Helper()
	code, body, err := raw(http.MethodGet, s.PublicURL("/sessions/whoami"), http.Header{"X-Session-Token": {token}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if code != http.StatusUnauthorized {
		t.Fatalf("after %s raced the revocation, whoami = %d %s: the revoked session is alive", after, code, body)
	}
}

func TestLogoutLinksRacingRevocationNeverRevive(t *testing.T) {
	s := apptest.Start(t)
	for trial := range raceTrials {
		id := s.CreateIdentity(t, fmt.Sprintf("logout-race-%d@example.com", trial), "a fine long password")
		token := s.IssueSession(t, id, session.AAL1)
		cookie := http.Header{"Cookie": {s.App.Sessions.Options().CookieName + "=" + token}}
		raceRevocation(t, s, id, raceRequests, func(int) (int, []byte, error) {
			return raw(http.MethodGet, s.PublicURL("/self-service/logout/browser"), cookie, nil)
		})
		mustBeRevoked(t, s, token, "GET /self-service/logout/browser")
	}
}

func TestRefreshLoginsRacingRevocationNeverRevive(t *testing.T) {
	s := apptest.Start(t)
	const password = "a fine long password"
	for trial := range raceTrials {
		email := fmt.Sprintf("refresh-race-%d@example.com", trial)
		id := s.CreateIdentity(t, email, password)
		token := s.IssueSession(t, id, session.AAL1)
		hdr := http.Header{"X-Session-Token": {token}}
		// Each request has its refresh flow ready, so that the submissions race, not the
		// flow creations.
		flows := make([]string, raceRequests*raceRounds)
		for i := range flows {
			code, body, err := raw(http.MethodGet, s.PublicURL("/self-service/login/api?refresh=true"), hdr, nil)
			if err != nil || code != http.StatusOK {
				t.Fatalf("refresh flow: %d %s %v", code, body, err)
			}
			var f struct{ ID string }
			if err := json.Unmarshal(body, &f); err != nil {
				t.Fatal(err)
			}
			flows[i] = f.ID
		}
		statuses := raceRevocation(t, s, id, raceRequests, func(k int) (int, []byte, error) {
			return raw(http.MethodPost, s.PublicURL("/self-service/login?flow="+flows[k]), hdr,
				map[string]any{"method": "password", "identifier": email, "password": password})
		})
		ok := 0
		for _, c := range statuses {
			if c == http.StatusOK {
				ok++
			}
		}
		t.Logf("trial %d: %d of %d refresh logins completed", trial, ok, len(statuses))
		mustBeRevoked(t, s, token, "a refresh login")
	}
}

func TestAdminExtendRacingRevocationNeverRevives(t *testing.T) {
	s := apptest.Start(t)
	for trial := range raceTrials {
		id := s.CreateIdentity(t, fmt.Sprintf("extend-race-%d@example.com", trial), "a fine long password")
		token := s.IssueSession(t, id, session.AAL1)
		sess, err := s.App.Sessions.FromToken(t.Context(), token)
		if err != nil {
			t.Fatal(err)
		}
		statuses := raceRevocation(t, s, id, raceRequests, func(int) (int, []byte, error) {
			return raw(http.MethodPatch, s.AdminURL("/admin/sessions/"+sess.ID.String()+"/extend"), nil, nil)
		})
		for i, c := range statuses {
			if c != http.StatusOK && c != http.StatusNotFound {
				t.Errorf("extend %d: %d, want 200 before the revocation or 404 after", i, c)
			}
		}
		mustBeRevoked(t, s, token, "PATCH /admin/sessions/{id}/extend")
	}
}

// Issue 19, finding 7: the admin extension revived expired sessions and extended sessions of
// inactive identities. Kratos answers 404 for a session it will not extend.
func TestAdminExtendRefusesExpiredSessionsAndInactiveIdentities(t *testing.T) {
	s := apptest.Start(t)
	admin := s.Native(t)
	extend := func(t *testing.T, id string) *apptest.Response {
		t.Helper()
		return admin.Do(http.MethodPatch, s.AdminURL("/admin/sessions/"+id+"/extend"), nil, nil)
	}
	wantNotFound := func(t *testing.T, r *apptest.Response) {
		t.Helper()
		var body struct {
			Error struct {
				Code    int    `json:"code"`
				Status  string `json:"status"`
				Reason  string `json:"reason"`
				Message string `json:"message"`
			} `json:"error"`
		}
		r.JSON(t, &body)
		if r.StatusCode != http.StatusNotFound || body.Error.Code != 404 || body.Error.Status != "Not Found" ||
			body.Error.Message != "The requested resource could not be found" || body.Error.Reason == "" {
			t.Fatalf("extend = %d %s, want Kratos's 404", r.StatusCode, r.Body)
		}
	}
	issue := func(t *testing.T, email string) (string, *session.Session) {
		t.Helper()
		id := s.CreateIdentity(t, email, "a fine long password")
		token := s.IssueSession(t, id, session.AAL1)
		sess, err := s.App.Sessions.FromToken(t.Context(), token)
		if err != nil {
			t.Fatal(err)
		}
		return token, sess
	}
	storedExpiry := func(t *testing.T, sess *session.Session) time.Time {
		t.Helper()
		stored, err := s.App.Store.GetSession(t.Context(), sess.ID)
		if err != nil {
			t.Fatal(err)
		}
		return stored.ExpiresAt
	}

	t.Run("expired", func(t *testing.T) {
		token, sess := issue(t, "expired@example.com")
		s.Clock.Advance(25 * time.Hour)
		defer s.Clock.Advance(-25 * time.Hour)
		wantNotFound(t, extend(t, sess.ID.String()))
		if got := storedExpiry(t, sess); !got.Equal(sess.ExpiresAt) {
			t.Fatalf("expired session's expiry moved: %v → %v", sess.ExpiresAt, got)
		}
		mustBeRevoked(t, s, token, "extending an expired session")
	})

	t.Run("inactive identity", func(t *testing.T) {
		_, sess := issue(t, "inactive@example.com")
		r := admin.Do(http.MethodPatch, s.AdminURL("/admin/identities/"+sess.IdentityID.String()), bytes.NewReader([]byte(
			`[{"op":"replace","path":"/state","value":"inactive"}]`)), http.Header{"Content-Type": {"application/json"}})
		if r.StatusCode != http.StatusOK {
			t.Fatalf("deactivate identity: %d %s", r.StatusCode, r.Body)
		}
		s.Clock.Advance(time.Hour)
		defer s.Clock.Advance(-time.Hour)
		wantNotFound(t, extend(t, sess.ID.String()))
		if got := storedExpiry(t, sess); !got.Equal(sess.ExpiresAt) {
			t.Fatalf("session of an inactive identity extended: %v → %v", sess.ExpiresAt, got)
		}
	})

	t.Run("revoked", func(t *testing.T) {
		_, sess := issue(t, "revoked@example.com")
		if r := admin.Do(http.MethodDelete, s.AdminURL("/admin/sessions/"+sess.ID.String()), nil, nil); r.StatusCode != http.StatusNoContent {
			t.Fatalf("revoke: %d %s", r.StatusCode, r.Body)
		}
		wantNotFound(t, extend(t, sess.ID.String()))
	})

	t.Run("live session still extends", func(t *testing.T) {
		_, sess := issue(t, "live@example.com")
		s.Clock.Advance(time.Hour)
		defer s.Clock.Advance(-time.Hour)
		r := extend(t, sess.ID.String())
		var got session.Session
		r.JSON(t, &got)
		want := s.Clock.Now().Add(24 * time.Hour)
		if r.StatusCode != http.StatusOK || !got.ExpiresAt.Equal(want) || !storedExpiry(t, sess).Equal(want) {
			t.Fatalf("extend = %d, expires %v, want %v", r.StatusCode, got.ExpiresAt, want)
		}
	})
}

// The attack's second form: the owner changes the password with the revoke_active_sessions
// hook while someone holding a stolen session of the same identity keeps rendering logout
// links. The stolen session must end with the password change.
func TestPasswordChangeRevokingSessionsRacingLogoutLinks(t *testing.T) {
	s := apptest.Start(t, apptest.WithEnv("SELFSERVICE_FLOWS_SETTINGS_AFTER_PASSWORD_HOOKS", `[{"hook":"revoke_active_sessions"}]`))
	for trial := range raceTrials {
		id := s.CreateIdentity(t, fmt.Sprintf("pw-race-%d@example.com", trial), "a fine long password")
		owner := http.Header{"X-Session-Token": {s.IssueSession(t, id, session.AAL1)}}
		stolen := s.IssueSession(t, id, session.AAL1)
		cookie := http.Header{"Cookie": {s.App.Sessions.Options().CookieName + "=" + stolen}}
		code, body, err := raw(http.MethodGet, s.PublicURL("/self-service/settings/api"), owner, nil)
		if err != nil || code != http.StatusOK {
			t.Fatalf("settings flow: %d %s %v", code, body, err)
		}
		var f struct{ ID string }
		if err := json.Unmarshal(body, &f); err != nil {
			t.Fatal(err)
		}
		changePassword := func() error {
			code, body, err := raw(http.MethodPost, s.PublicURL("/self-service/settings?flow="+f.ID), owner,
				map[string]any{"method": "password", "password": fmt.Sprintf("Kestrel-Orbit-%d-%s", trial, uuid.NewString())})
			if err == nil && code != http.StatusOK {
				err = fmt.Errorf("change password: %d %s", code, body)
			}
			return err
		}
		raceRevocation(t, s, id, raceRequests, func(int) (int, []byte, error) {
			return raw(http.MethodGet, s.PublicURL("/self-service/logout/browser"), cookie, nil)
		}, changePassword)
		mustBeRevoked(t, s, stolen, "GET /self-service/logout/browser with a stolen session")
		if code, _, _ := raw(http.MethodGet, s.PublicURL("/sessions/whoami"), owner, nil); code != http.StatusOK {
			t.Fatalf("the owner's own session ended: whoami %d", code)
		}
	}
}
