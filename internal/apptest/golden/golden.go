// Package golden compares test output with golden files under testdata. It registers the
// -update flag: `go test ./internal/flow/... -update` rewrites the files instead of comparing,
// so review the diff before committing it. Import it from tests only.
package golden

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"regexp"
	"testing"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden.* files instead of comparing with them")

// Bytes compares got with the file at path; with -update it writes got there instead.
func Bytes(t testing.TB, path string, got []byte) {
	t.Helper()
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
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
		t.Errorf("differs from %s (run go test -update and review the diff):\n%s", path, got)
	}
}

// JSON compares a JSON reply, normalised (see Normalise) and indented, with the file at path.
func JSON(t testing.TB, path string, body []byte) {
	t.Helper()
	var v any
	if err := json.Unmarshal(body, &v); err != nil {
		t.Fatalf("%s: reply is not JSON: %v\n%s", path, err, body)
	}
	Value(t, path, Normalise(v))
}

// Value compares v, encoded by Indent, with the file at path.
func Value(t testing.TB, path string, v any) {
	t.Helper()
	Bytes(t, path, Indent(t, v))
}

// Indent encodes v as two-space indented JSON without HTML escaping, ending in a newline.
func Indent(t testing.TB, v any) []byte {
	t.Helper()
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

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

// Normalise replaces, in a decoded JSON document (in place), what differs between runs: UUIDs
// become <uuid>, the test server's address http://<host>, session and logout tokens
// ory_st_<token>/ory_lo_<token>, times <time>, the client's address and agent <ip>/<ua>, and
// a browser flow's CSRF token <csrf>.
func Normalise(v any) any {
	return Walk(v, func(x string) string {
		s := uuidRE.ReplaceAllString(x, "<uuid>")
		s = hostRE.ReplaceAllString(s, "http://<host>")
		return tokenRE.ReplaceAllString(s, "ory_${1}_<token>")
	}, nil)
}

// Walk replaces, in a decoded JSON document (in place), the members of every object that
// differ per run (times <time>, the client's address and agent <ip>/<ua>) and a browser flow's
// CSRF token (<csrf>); every other string becomes str(s), and obj (when not nil) sees each
// object after its members. Normalise is Walk with this repo's own placeholders.
func Walk(v any, str func(string) string, obj func(map[string]any)) any {
	switch x := v.(type) {
	case map[string]any:
		for k, val := range x {
			if repl, ok := volatile[k]; ok && val != nil {
				x[k] = repl
				continue
			}
			x[k] = Walk(val, str, obj)
		}
		if x["name"] == "csrf_token" && x["value"] != "" && x["value"] != nil {
			x["value"] = "<csrf>"
		}
		if obj != nil {
			obj(x)
		}
		return x
	case []any:
		for i := range x {
			x[i] = Walk(x[i], str, obj)
		}
		return x
	case string:
		return str(x)
	default:
		return v
	}
}
