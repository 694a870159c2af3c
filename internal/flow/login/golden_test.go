package login_test

import (
	"encoding/json"
	"net/http"
	"sort"
	"strings"
	"testing"

	"github.com/portico-auth/portico/internal/apptest"
	"github.com/portico-auth/portico/internal/apptest/golden"
	"github.com/portico-auth/portico/internal/kratosexamples"
)

// keys lists every key path of a JSON document (array items merged), to compare shapes.
func keys(prefix string, v any, out map[string]bool) {
	switch x := v.(type) {
	case map[string]any:
		for k, val := range x {
			out[prefix+"."+k] = true
			keys(prefix+"."+k, val, out)
		}
	case []any:
		for _, val := range x {
			keys(prefix+"[]", val, out)
		}
	}
}

func sameShape(t *testing.T, got []byte, example string) {
	t.Helper()
	ex := kratosexamples.Read(t, example)
	var a, b any
	if err := json.Unmarshal(got, &a); err != nil {
		t.Fatalf("reply is not JSON: %v\n%s", err, got)
	}
	if err := json.Unmarshal(ex, &b); err != nil {
		t.Fatalf("recorded %s is not JSON: %v", example, err)
	}
	ka, kb := map[string]bool{}, map[string]bool{}
	keys("", a, ka)
	keys("", b, kb)
	var diff []string
	for k := range ka {
		if !kb[k] {
			diff = append(diff, "+"+k)
		}
	}
	for k := range kb {
		if !ka[k] {
			diff = append(diff, "-"+k)
		}
	}
	sort.Strings(diff)
	if len(diff) > 0 {
		t.Errorf("shape differs from %s: %s", example, strings.Join(diff, " "))
	}
}

func TestGoldenLogin(t *testing.T) {
	s := apptest.Start(t)
	s.CreateIdentity(t, email, pw)
	app := s.Native(t)

	r := app.Get(s.PublicURL("/self-service/login/api"))
	golden.JSON(t, "testdata/login-api-flow.golden.json", r.Body)
	sameShape(t, r.Body, "login-api-flow.json")
	id := r.Map(t)["id"].(string)

	bad := submit(app, s, id, map[string]any{"method": "password", "identifier": email, "password": "wrong"})
	golden.JSON(t, "testdata/login-api-invalid.golden.json", bad.Body)

	ok := submit(app, s, id, map[string]any{"method": "password", "identifier": email, "password": pw})
	golden.JSON(t, "testdata/login-api-success.golden.json", ok.Body)
	sameShape(t, ok.Body, "login-api-success.json")

	spa := s.SPA(t)
	r = spa.Get(s.PublicURL("/self-service/login/browser?return_to=/after"))
	golden.JSON(t, "testdata/login-browser-flow.golden.json", r.Body)
	csrf := apptest.CSRFToken(t, r)
	ok = spa.PostJSON(s.PublicURL("/self-service/login?flow="+r.Map(t)["id"].(string)),
		map[string]any{"method": "password", "identifier": email, "password": pw, "csrf_token": csrf})
	golden.JSON(t, "testdata/login-browser-success.golden.json", ok.Body)

	r = spa.Do(http.MethodGet, s.PublicURL("/self-service/login/browser?refresh=true"), nil, nil)
	golden.JSON(t, "testdata/login-browser-refresh-flow.golden.json", r.Body)

	r = spa.Get(s.PublicURL("/self-service/logout/browser"))
	golden.JSON(t, "testdata/logout-browser.golden.json", r.Body)
}
