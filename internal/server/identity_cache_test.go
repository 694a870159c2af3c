package server_test

import (
	"net/http"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/pquerna/otp/totp"

	"github.com/portico-auth/portico/internal/apptest"
	"github.com/portico-auth/portico/internal/testdb"
)

// TestIdentityCacheSeesOtherInstancesWrites runs two servers on one PostgreSQL database, each
// remembering identities' credentials and addresses for session reads: a change made through
// instance A (an address through the admin API, a TOTP credential through settings) shows in
// instance B's very next whoami, whose remembered copy is of the older version.
func TestIdentityCacheSeesOtherInstancesWrites(t *testing.T) {
	if os.Getenv(testdb.PostgresEnv) == "" && os.Getenv("CI") != "true" {
		t.Skip(testdb.PostgresEnv + " not set")
	}
	dsn := testdb.PostgresSchema(t, testdb.ServerDSN(t, testdb.PostgresEnv))
	opts := []apptest.Option{apptest.WithDSN(dsn), apptest.WithEnv("SELFSERVICE_METHODS_TOTP_ENABLED", "true"),
		// The other session stays alive, so what B refuses it for is the new credential.
		apptest.WithEnv("SELFSERVICE_FLOWS_SETTINGS_REVOKE_OTHER_SESSIONS_ON_CREDENTIAL_CHANGE", "false")}
	a, b := apptest.Start(t, opts...), apptest.Start(t, opts...)

	id := a.CreateIdentity(t, "cache-a@example.com", "a long cache passphrase")
	token := a.LoginNative(t, "cache-a@example.com", "a long cache passphrase")
	// A second session, signed in with the password only, is the one B keeps reading.
	second := a.LoginNative(t, "cache-a@example.com", "a long cache passphrase")
	client := func(s *apptest.Server, token string) *apptest.Client {
		c := s.Native(t)
		c.Header.Set("X-Session-Token", token)
		return c
	}
	whoami := func(want int) string {
		t.Helper()
		r := client(b, second).Get(b.PublicURL("/sessions/whoami"))
		if r.StatusCode != want {
			t.Fatalf("whoami on B: %d, want %d: %s", r.StatusCode, want, r.Body)
		}
		return string(r.Body)
	}
	// B reads (and remembers) the identity twice: the second read is served from memory.
	for range 2 {
		if body := whoami(http.StatusOK); !strings.Contains(body, `"value":"cache-a@example.com"`) {
			t.Fatalf("whoami on B before the change: %s", body)
		}
	}

	// An address change through A's admin API.
	r := a.Native(t).Do(http.MethodPut, a.AdminURL("/admin/identities/"+id.ID.String()), strings.NewReader(
		`{"schema_id":"default","state":"active","traits":{"email":"cache-b@example.com","name":{"first":"Ada","last":"Lovelace"}}}`),
		http.Header{"Content-Type": {"application/json"}})
	if r.StatusCode != http.StatusOK {
		t.Fatalf("update on A: %d %s", r.StatusCode, r.Body)
	}
	body := whoami(http.StatusOK)
	if !strings.Contains(body, `"value":"cache-b@example.com"`) || strings.Contains(body, "cache-a@example.com") {
		t.Fatalf("whoami on B after A changed the address: %s", body)
	}

	// A credential added through A: TOTP, so the identity's highest level is aal2 and B's
	// whoami (required_aal highest_available) refuses the other, aal1 session.
	f := client(a, token).Get(a.PublicURL("/self-service/settings/api"))
	m := regexp.MustCompile(`"secret":"([A-Z2-7]+)"`).FindSubmatch(f.Body)
	if f.StatusCode != http.StatusOK || m == nil {
		t.Fatalf("settings flow on A: %d %s", f.StatusCode, f.Body)
	}
	code, err := totp.GenerateCode(string(m[1]), a.Clock.Now())
	if err != nil {
		t.Fatal(err)
	}
	flowID := f.Map(t)["id"].(string)
	if r := client(a, token).PostJSON(a.PublicURL("/self-service/settings?flow="+flowID), map[string]any{"method": "totp", "totp_code": code}); r.StatusCode != http.StatusOK {
		t.Fatalf("enrol TOTP on A: %d %s", r.StatusCode, r.Body)
	}
	if body := whoami(http.StatusForbidden); !strings.Contains(body, "session_aal2_required") {
		t.Fatalf("whoami on B after A added TOTP: %s", body)
	}
}
