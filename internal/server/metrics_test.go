package server_test

import (
	"strings"
	"testing"

	"github.com/portico-auth/portico/internal/apptest"
)

// TestMetricsCountByRoutePattern: requests are counted under the mux pattern that served
// them (bounded labels), not the raw path.
func TestMetricsCountByRoutePattern(t *testing.T) {
	s := apptest.Start(t)
	c := s.Native(t)
	c.Get(s.PublicURL("/sessions/whoami"))
	c.Get(s.AdminURL("/admin/identities/0b0e1a2c-0000-4000-8000-000000000000"))
	body := string(c.Get(s.AdminURL("/admin/metrics/prometheus")).Body)
	for _, want := range []string{
		`portico_http_requests_total{code="401",listener="public",method="GET",route="GET /sessions/whoami"} 1`,
		`portico_http_requests_total{code="404",listener="admin",method="GET",route="GET /admin/identities/{id}"} 1`,
		`portico_http_request_duration_seconds_bucket{listener="public",method="GET",route="GET /sessions/whoami"`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("metrics lack %s", want)
		}
	}
}
