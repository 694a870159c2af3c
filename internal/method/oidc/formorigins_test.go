package oidc_test

import (
	"encoding/base64"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/portico-auth/portico/internal/apptest"
)

// TestPagesNeverWaitForDiscovery: a provider whose discovery hangs does not slow the built-in
// UI's pages. The server starts discovering it when it starts; a login page rendered while
// that discovery hangs answers at once with the issuer's origin in its form-action, and asks
// the provider nothing (before, the page discovered the provider itself and gave up after two
// seconds, cancelling the call: the provider saw every such page view's call abandoned).
func TestPagesNeverWaitForDiscovery(t *testing.T) {
	var (
		mu        sync.Mutex
		calls     int
		abandoned int
	)
	entered := make(chan struct{}, 16)
	release := make(chan struct{})
	hang := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		calls++
		mu.Unlock()
		entered <- struct{}{}
		select {
		case <-release:
		case <-r.Context().Done():
			mu.Lock()
			abandoned++
			mu.Unlock()
		}
		http.Error(w, "down", http.StatusServiceUnavailable)
	}))
	t.Cleanup(hang.Close)
	t.Cleanup(func() { close(release) })

	s := apptest.Start(t, apptest.WithConfig(`
selfservice:
  methods:
    oidc:
      enabled: true
      config:
        providers:
          - id: slow
            provider: generic
            client_id: portico
            client_secret: portico-secret
            issuer_url: `+hang.URL+`
            mapper_url: base64://`+base64.StdEncoding.EncodeToString([]byte(mapper))+`
`))
	select {
	case <-entered:
	case <-time.After(10 * time.Second):
		t.Fatal("the server did not start discovering the provider")
	}

	b := s.Browser(t)
	for range 3 {
		id, _ := s.BrowserFlow(t, b, "login")
		page := b.Get(s.PublicURL("/ui/login?flow=" + id))
		if csp := page.Header.Get("Content-Security-Policy"); page.StatusCode != http.StatusOK || !strings.Contains(csp, " "+hang.URL) {
			t.Fatalf("login page %d: CSP %q does not allow the issuer's origin %s", page.StatusCode, csp, hang.URL)
		}
	}
	mu.Lock()
	defer mu.Unlock()
	if calls != 1 || abandoned != 0 {
		t.Fatalf("the pages called the hanging provider: %d discovery calls (want the server's one), %d abandoned", calls, abandoned)
	}
}
