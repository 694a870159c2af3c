package flow_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/portico-auth/portico/internal/apptest"
	"github.com/portico-auth/portico/internal/flow"
)

// TestOversizedReturnToIsNotStored (issue 11 finding 5a): a browser request with a huge
// return_to is sent to the error page, and the stored error does not keep the raw value; a
// flow's stored request_url is cut the same way.
func TestOversizedReturnToIsNotStored(t *testing.T) {
	s := apptest.Start(t)
	b := s.Browser(t)
	huge := "https://evil.example/" + strings.Repeat("a", 60_000)
	res := b.Get(s.PublicURL("/self-service/login/browser?return_to=" + huge))
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("browser with a huge return_to: %d", res.StatusCode)
	}
	id := apptest.URL(t, res.Header.Get("Location")).Query().Get("id")
	if id == "" {
		t.Fatalf("not sent to the error page: %s", res.Header.Get("Location"))
	}
	stored := s.Native(t).Get(s.PublicURL("/self-service/errors?id=" + id))
	if stored.StatusCode != http.StatusOK || len(stored.Body) > flow.MaxEchoLength+1024 {
		t.Fatalf("stored error: %d, %d bytes (the return_to was %d)", stored.StatusCode, len(stored.Body), len(huge))
	}
	if !strings.Contains(string(stored.Body), "self_service_flow_return_to_forbidden") {
		t.Fatalf("stored error: %s", stored.Body)
	}

	// An allowed origin does not make a long return_to acceptable.
	long := s.PublicURL("/" + strings.Repeat("b", flow.MaxEchoLength))
	api := s.Native(t).Get(s.PublicURL("/self-service/login/api?return_to=" + long))
	if api.StatusCode != http.StatusBadRequest || !strings.Contains(string(api.Body), "self_service_flow_return_to_forbidden") {
		t.Fatalf("API flow with a %d-byte return_to: %d %.200s", len(long), api.StatusCode, api.Body)
	}

	created := s.Native(t).Get(s.PublicURL("/self-service/login/api?via=" + strings.Repeat("c", 50_000)))
	if created.StatusCode != http.StatusOK {
		t.Fatalf("flow with a long query: %d", created.StatusCode)
	}
	var f struct {
		RequestURL string `json:"request_url"`
	}
	created.JSON(t, &f)
	if len(f.RequestURL) > flow.MaxEchoLength {
		t.Fatalf("request_url kept %d bytes", len(f.RequestURL))
	}
}
