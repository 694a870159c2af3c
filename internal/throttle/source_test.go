package throttle_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/portico-auth/portico/internal/apptest"
	"github.com/portico-auth/portico/internal/throttle"
)

// spray makes one wrong-password attempt per identifier from one client, with hdr.
func spray(t *testing.T, s *apptest.Server, n int, prefix string, hdr http.Header) {
	t.Helper()
	app := s.Native(t)
	for i := range n {
		wantStatus(t, attempt(t, s, app, fmt.Sprintf("%s%d@example.com", prefix, i), "Winter2026!", hdr), http.StatusBadRequest, fmt.Sprintf("spray %d", i))
	}
}

// TestPasswordSprayingIsThrottledPerSource (issue 11 finding 4): one client trying a password
// across many identifiers gets 429 once its address's budget is used up, for any identifier,
// even one nobody has tried yet; forged X-Forwarded-For headers do not give it a new address
// while no proxy is trusted.
func TestPasswordSprayingIsThrottledPerSource(t *testing.T) {
	s := apptest.Start(t)
	s.CreateIdentity(t, ownerEmail, ownerPass)
	spray(t, s, throttle.DefaultSource.Max, "victim", nil)
	r := attempt(t, s, s.Native(t), "fresh@example.com", "Winter2026!", nil)
	wantStatus(t, r, http.StatusTooManyRequests, "next identifier from the same address")
	if !strings.Contains(string(r.Body), "network address") {
		t.Errorf("refusal does not say why: %s", r.Body)
	}
	r = attempt(t, s, s.Native(t), ownerEmail, ownerPass, http.Header{"X-Forwarded-For": {"198.51.100.77"}})
	wantStatus(t, r, http.StatusTooManyRequests, "a forged X-Forwarded-For without trusted proxies")
}

// TestTrustedProxyNamesTheSource: behind a trusted proxy each client address has its own
// budget, so one sprayer does not lock out everyone behind the proxy.
func TestTrustedProxyNamesTheSource(t *testing.T) {
	s := apptest.Start(t, apptest.WithEnv("SERVE_PUBLIC_TRUSTED_PROXIES", "127.0.0.0/8,::1"))
	s.CreateIdentity(t, ownerEmail, ownerPass)
	sprayer := http.Header{"X-Forwarded-For": {"198.51.100.7"}}
	spray(t, s, throttle.DefaultSource.Max, "victim", sprayer)
	wantStatus(t, attempt(t, s, s.Native(t), "fresh@example.com", "x", sprayer), http.StatusTooManyRequests, "sprayer's next attempt")
	// A client-forged entry left of the proxy's own does not escape either.
	forged := http.Header{"X-Forwarded-For": {"203.0.113.1, 198.51.100.7"}}
	wantStatus(t, attempt(t, s, s.Native(t), "fresh@example.com", "x", forged), http.StatusTooManyRequests, "sprayer with a forged entry")
	other := http.Header{"Forwarded": {"for=198.51.100.8"}}
	wantStatus(t, attempt(t, s, s.Native(t), ownerEmail, ownerPass, other), http.StatusOK, "another client behind the proxy")
}

// TestTrustedProxiesConfigIsChecked: a bad CIDR stops the server with the key's name.
func TestTrustedProxiesConfigIsChecked(t *testing.T) {
	ft := &fatalRecorder{TB: t}
	func() {
		defer func() { _ = recover() }()
		apptest.Start(ft, apptest.WithEnv("SERVE_PUBLIC_TRUSTED_PROXIES", "10.0.0.0/99"))
	}()
	if !strings.Contains(ft.msg, "serve.public.trusted_proxies") {
		t.Fatalf("a bad trusted proxy was not refused by name: %q", ft.msg)
	}
}

// fatalRecorder records the message of a Fatalf instead of failing the test.
type fatalRecorder struct {
	testing.TB
	msg string
}

func (f *fatalRecorder) Fatalf(format string, args ...any) {
	f.msg = fmt.Sprintf(format, args...)
	panic(f.msg)
}
