package server_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/portico-auth/portico/internal/apptest"
)

// send makes one request to target with the given Host (and Origin, when not empty) as a plain
// HTTP client would, without following redirects.
func send(t *testing.T, method, target, host, origin, contentType, body string) (int, http.Header, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, target, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if host != "" {
		req.Host = host
	}
	if origin != "" {
		req.Header.Set("Origin", origin)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	req.Header.Set("Accept", "application/json")
	cl := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	res, err := cl.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, res.Header, b
}

func errorCode(t *testing.T, body []byte) int {
	t.Helper()
	var e struct {
		Error struct {
			Code   int    `json:"code"`
			Status string `json:"status"`
			Reason string `json:"reason"`
		} `json:"error"`
	}
	if err := json.Unmarshal(body, &e); err != nil {
		t.Fatalf("not error JSON: %s", body)
	}
	return e.Error.Code
}

// TestAdminRefusesForeignHosts: a web page that rebinds its own name to 127.0.0.1 reaches the
// admin port with its name in Host; the admin listener answers only its own names.
func TestAdminRefusesForeignHosts(t *testing.T) {
	s := apptest.Start(t, apptest.WithEnv("SERVE_ADMIN_BASE_URL", "https://admin.internal.example/"))
	u, _ := url.Parse(s.Admin.URL)
	p := u.Port()
	target := s.AdminURL("/admin/identities")
	for _, c := range []struct {
		host string
		want int
	}{
		{"rebound.attacker.example:" + p, http.StatusForbidden},
		{"rebound.attacker.example", http.StatusForbidden},
		{"admin.internal.example.attacker.example", http.StatusForbidden},
		{"localhost.attacker.example:" + p, http.StatusForbidden},
		{"127.0.0.1:" + p, http.StatusOK},
		{"localhost:" + p, http.StatusOK},
		{"LOCALHOST.:" + p, http.StatusOK},
		{"portico.localhost:" + p, http.StatusOK},
		{"[::1]:" + p, http.StatusOK},
		{"10.1.2.3:" + p, http.StatusOK},              // an IP literal: no name to rebind
		{"admin.internal.example", http.StatusOK},     // serve.admin.base_url behind a proxy
		{"Admin.Internal.Example:443", http.StatusOK}, // any port, any case
	} {
		status, _, body := send(t, http.MethodGet, target, c.host, "", "", "")
		if status != c.want {
			t.Errorf("Host %q: %d %s, want %d", c.host, status, body, c.want)
			continue
		}
		if c.want == http.StatusForbidden && errorCode(t, body) != http.StatusForbidden {
			t.Errorf("Host %q: body %s", c.host, body)
		}
	}
	// The refusal covers every admin route, health included, and never reaches a handler.
	if status, _, _ := send(t, http.MethodGet, s.AdminURL("/admin/health/ready"), "rebound.attacker.example", "", "", ""); status != http.StatusForbidden {
		t.Errorf("health under a foreign Host: %d", status)
	}
	// The public listener answers any Host (it is meant to be reached by name from anywhere).
	if status, _, body := send(t, http.MethodGet, s.PublicURL("/health/alive"), "auth.example.com", "", "", ""); status != http.StatusOK {
		t.Errorf("public listener under a public name: %d %s", status, body)
	}
}

// TestAdminRefusesCrossSiteBrowserWrites: any web page can send a "simple" POST (text/plain,
// no preflight) to http://127.0.0.1:4434 blind; the admin API must not create an identity for it.
func TestAdminRefusesCrossSiteBrowserWrites(t *testing.T) {
	s := apptest.Start(t)
	body := `{"schema_id":"default","traits":{"email":"planted@example.com"},"credentials":{"password":{"config":{"password":"the attacker knows this one"}}}}`
	status, _, reply := send(t, http.MethodPost, s.AdminURL("/admin/identities"), "", "https://attacker.example", "text/plain", body)
	if status != http.StatusForbidden || errorCode(t, reply) != http.StatusForbidden {
		t.Fatalf("cross-site POST: %d %s, want 403", status, reply)
	}
	status, _, reply = send(t, http.MethodPost, s.AdminURL("/admin/identities"), "", "null", "text/plain", body)
	if status != http.StatusForbidden {
		t.Fatalf("POST from an opaque origin: %d %s, want 403", status, reply)
	}
	_, _, list := send(t, http.MethodGet, s.AdminURL("/admin/identities"), "", "", "", "")
	if strings.Contains(string(list), "planted@example.com") {
		t.Fatalf("the cross-site POST created an identity: %s", list)
	}
	// Back-ends send no Origin and are served as before; so is a page of the admin origin itself.
	if status, _, reply := send(t, http.MethodPost, s.AdminURL("/admin/identities"), "", "", "application/json", body); status != http.StatusCreated {
		t.Fatalf("back-end POST: %d %s", status, reply)
	}
	u, _ := url.Parse(s.Admin.URL)
	if status, _, reply := send(t, http.MethodGet, s.AdminURL("/admin/identities"), "", "http://"+u.Host, "", ""); status != http.StatusOK {
		t.Fatalf("same-origin GET: %d %s", status, reply)
	}
}

// TestAdminSendsPublicRoutesOn: Kratos answers the public self-service and schema routes on the
// admin port with 307 to the public base URL (the /admin prefix stripped), keeping the query;
// the public port never answers admin routes.
func TestAdminSendsPublicRoutesOn(t *testing.T) {
	s := apptest.Start(t)
	pub := strings.TrimSuffix(s.Public.URL, "/")
	for _, c := range []struct{ method, path, want string }{
		{"GET", "/self-service/login/browser?return_to=https%3A%2F%2Fapp.example%2F&refresh=true", "/self-service/login/browser?return_to=https%3A%2F%2Fapp.example%2F&refresh=true"},
		{"GET", "/admin/self-service/login/api", "/self-service/login/api"},
		{"GET", "/self-service/registration/flows?id=abc", "/self-service/registration/flows?id=abc"},
		{"GET", "/admin/self-service/settings/browser", "/self-service/settings/browser"},
		{"POST", "/self-service/login?flow=x", "/self-service/login?flow=x"},
		{"POST", "/admin/self-service/settings?flow=y", "/self-service/settings?flow=y"},
		{"GET", "/schemas", "/schemas"},
		{"GET", "/schemas/default", "/schemas/default"},
		{"GET", "/admin/schemas?page=2", "/schemas?page=2"},
		{"GET", "/admin/schemas/default", "/schemas/default"},
		{"GET", "/sessions/whoami", "/sessions/whoami"},
		{"GET", "/admin/sessions/whoami", "/sessions/whoami"},
	} {
		status, hdr, body := send(t, c.method, s.AdminURL(c.path), "", "", "application/json", "{}")
		if status != http.StatusTemporaryRedirect || hdr.Get("Location") != pub+c.want {
			t.Errorf("admin %s %s: %d Location %q (want 307 to %s) %s", c.method, c.path, status, hdr.Get("Location"), pub+c.want, body)
		}
	}
	// Following the redirect as Ory's CLI does reaches the public schema.
	res, err := http.Get(s.AdminURL("/schemas/default"))
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusOK || res.Request.URL.String() != pub+"/schemas/default" {
		t.Errorf("following the schema redirect: %d at %s", res.StatusCode, res.Request.URL)
	}
	// The admin routes themselves still answer on the admin port...
	if status, _, body := send(t, http.MethodGet, s.AdminURL("/admin/sessions/"+"00000000-0000-0000-0000-000000000000"), "", "", "", ""); status != http.StatusNotFound {
		t.Errorf("admin session route: %d %s", status, body)
	}
	// ...and never on the public one.
	for _, p := range []string{"/admin/identities", "/admin/sessions", "/admin/self-service/login/browser", "/admin/schemas"} {
		status, hdr, body := send(t, http.MethodGet, s.PublicURL(p), "", "", "", "")
		if status != http.StatusNotFound || hdr.Get("Location") != "" || errorCode(t, body) != http.StatusNotFound {
			t.Errorf("public %s: %d %q %s, want 404", p, status, hdr.Get("Location"), body)
		}
	}
}
