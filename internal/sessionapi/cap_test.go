package sessionapi_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/portico-auth/portico/internal/apptest"
)

// TestSessionCapRevokesOldest: with session.max_per_identity 3, a fourth and fifth sign-in
// revoke the two oldest sessions (their tokens get whoami's 401), the three newest still work,
// and the caller's list shows the other two live ones.
func TestSessionCapRevokesOldest(t *testing.T) {
	srv := apptest.Start(t, apptest.WithConfig("session:\n  max_per_identity: 3\n"))
	srv.CreateIdentity(t, "capped@example.org", "a long enough passphrase 1")
	var tokens []string
	for range 5 {
		srv.Clock.Advance(time.Second)
		tokens = append(tokens, srv.LoginNative(t, "capped@example.org", "a long enough passphrase 1"))
	}
	whoami := func(tok string) int {
		return srv.Native(t).Do(http.MethodGet, srv.PublicURL("/sessions/whoami"), nil, http.Header{"X-Session-Token": {tok}}).StatusCode
	}
	for i, tok := range tokens {
		want := http.StatusOK
		if i < 2 {
			want = http.StatusUnauthorized
		}
		if got := whoami(tok); got != want {
			t.Errorf("session %d of 5: whoami %d, want %d", i+1, got, want)
		}
	}
	r := srv.Native(t).Do(http.MethodGet, srv.PublicURL("/sessions"), nil, http.Header{"X-Session-Token": {tokens[4]}})
	var others []map[string]any
	r.JSON(t, &others)
	if r.StatusCode != http.StatusOK || len(others) != 2 {
		t.Fatalf("GET /sessions: %d, %d other live sessions, want 2: %s", r.StatusCode, len(others), r.Body)
	}
}
