package registration_test

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"regexp"
	"testing"

	"github.com/portico-auth/portico/internal/apptest"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden.json")

var (
	uuidRE   = regexp.MustCompile(`[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}`)
	hostRE   = regexp.MustCompile(`http://127\.0\.0\.1:\d+`)
	tokenRE  = regexp.MustCompile(`ory_st_[0-9A-Za-z]+`)
	volatile = map[string]bool{
		"expires_at": true, "issued_at": true, "created_at": true, "updated_at": true,
		"authenticated_at": true, "completed_at": true, "state_changed_at": true, "ip_address": true, "user_agent": true,
	}
)

func normalise(v any) any {
	switch x := v.(type) {
	case map[string]any:
		for k, val := range x {
			if volatile[k] && val != nil {
				x[k] = "<" + k + ">"
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
		return tokenRE.ReplaceAllString(s, "ory_st_<token>")
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
		_ = os.MkdirAll("testdata", 0o755)
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

func TestGoldenRegistration(t *testing.T) {
	s := apptest.Start(t)
	app := s.Native(t)
	r := app.Get(s.PublicURL("/self-service/registration/api"))
	checkGolden(t, "registration-api-flow", r.Body)
	id := r.Map(t)["id"].(string)
	bad := app.PostJSON(s.PublicURL("/self-service/registration?flow="+id), map[string]any{
		"method": "password", "password": "short", "traits": map[string]any{"email": "nope"}})
	checkGolden(t, "registration-api-invalid", bad.Body)
	ok := app.PostJSON(s.PublicURL("/self-service/registration?flow="+id), map[string]any{
		"method": "password", "password": "a fine password", "traits": map[string]any{"email": "ada@example.com", "name": map[string]any{"first": "Ada"}}})
	checkGolden(t, "registration-api-success", ok.Body)

	spa := s.SPA(t)
	r = spa.Get(s.PublicURL("/self-service/registration/browser"))
	checkGolden(t, "registration-browser-flow", r.Body)
	ok = spa.PostJSON(s.PublicURL("/self-service/registration?flow="+r.Map(t)["id"].(string)), map[string]any{
		"method": "password", "password": "a fine password", "csrf_token": apptest.CSRFToken(t, r), "traits": map[string]any{"email": "grace@example.com"}})
	checkGolden(t, "registration-browser-success", ok.Body)
}
