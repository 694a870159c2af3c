package login_test

import (
	"bytes"
	"encoding/json"
	"flag"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/portico-auth/portico/internal/apptest"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden.json")

var (
	uuidRE   = regexp.MustCompile(`[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}`)
	hostRE   = regexp.MustCompile(`http://127\.0\.0\.1:\d+`)
	tokenRE  = regexp.MustCompile(`ory_(st|lo)_[0-9A-Za-z]+`)
	volatile = map[string]string{
		"expires_at": "<time>", "issued_at": "<time>", "created_at": "<time>", "updated_at": "<time>",
		"authenticated_at": "<time>", "completed_at": "<time>", "state_changed_at": "<time>",
		"ip_address": "<ip>", "user_agent": "<ua>",
	}
)

// normalise replaces ids, times, hosts and tokens so that a reply can be compared with a
// golden file; a browser flow's CSRF token becomes "<csrf>".
func normalise(v any) any {
	switch x := v.(type) {
	case map[string]any:
		for k, val := range x {
			if repl, ok := volatile[k]; ok && val != nil {
				x[k] = repl
				continue
			}
			x[k] = normalise(val)
		}
		if x["name"] == "csrf_token" && x["value"] != "" && x["value"] != nil {
			x["value"] = "<csrf>"
		}
		return x
	case []any:
		for i := range x {
			x[i] = normalise(x[i])
		}
		return x
	case string:
		s := uuidRE.ReplaceAllString(x, "<uuid>")
		s = hostRE.ReplaceAllString(s, "http://<host>")
		return tokenRE.ReplaceAllString(s, "ory_${1}_<token>")
	default:
		return v
	}
}

func checkGolden(t *testing.T, name string, body []byte) {
	t.Helper()
	var v any
	if err := json.Unmarshal(body, &v); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(normalise(v)); err != nil {
		t.Fatal(err)
	}
	got := buf.Bytes()
	path := filepath.Join("testdata", name+".golden.json")
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from %s:\n%s", name, path, got)
	}
}

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

func sameShape(t *testing.T, got []byte, examplePath string) {
	t.Helper()
	ex, err := os.ReadFile(examplePath)
	if err != nil {
		t.Skipf("no Kratos example: %v", err)
	}
	var a, b any
	_ = json.Unmarshal(got, &a)
	_ = json.Unmarshal(ex, &b)
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
		t.Errorf("shape differs from %s: %s", examplePath, strings.Join(diff, " "))
	}
}

const examples = "../../../../shared/spec/kratos-examples/"

func TestGoldenLogin(t *testing.T) {
	s := apptest.Start(t)
	s.CreateIdentity(t, email, pw)
	app := s.Native(t)

	r := app.Get(s.PublicURL("/self-service/login/api"))
	checkGolden(t, "login-api-flow", r.Body)
	sameShape(t, r.Body, examples+"login-api-flow.json")
	id := r.Map(t)["id"].(string)

	bad := submit(app, s, id, map[string]any{"method": "password", "identifier": email, "password": "wrong"})
	checkGolden(t, "login-api-invalid", bad.Body)

	ok := submit(app, s, id, map[string]any{"method": "password", "identifier": email, "password": pw})
	checkGolden(t, "login-api-success", ok.Body)
	sameShape(t, ok.Body, examples+"login-api-success.json")

	spa := s.SPA(t)
	r = spa.Get(s.PublicURL("/self-service/login/browser?return_to=/after"))
	checkGolden(t, "login-browser-flow", r.Body)
	csrf := apptest.CSRFToken(t, r)
	ok = spa.PostJSON(s.PublicURL("/self-service/login?flow="+r.Map(t)["id"].(string)),
		map[string]any{"method": "password", "identifier": email, "password": pw, "csrf_token": csrf})
	checkGolden(t, "login-browser-success", ok.Body)

	r = spa.Do(http.MethodGet, s.PublicURL("/self-service/login/browser?refresh=true"), nil, nil)
	checkGolden(t, "login-browser-refresh-flow", r.Body)

	r = spa.Get(s.PublicURL("/self-service/logout/browser"))
	checkGolden(t, "logout-browser", r.Body)
}
