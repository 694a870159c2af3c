package sessionapi_test

import (
	"encoding/json"
	"reflect"
	"sort"
	"testing"

	"github.com/portico-auth/portico/internal/kratosexamples"
	"github.com/portico-auth/portico/internal/session"
)

// keys lists the keys of a JSON object and, one level down, of its objects and first array
// items, as "a", "a.b": the shape of a reply without its values.
func keys(v map[string]any) []string {
	var out []string
	for k, x := range v {
		out = append(out, k)
		if a, ok := x.([]any); ok && len(a) > 0 {
			x = a[0]
		}
		if m, ok := x.(map[string]any); ok && k != "traits" {
			for kk := range m {
				out = append(out, k+"."+kk)
			}
		}
	}
	sort.Strings(out)
	return out
}

// TestWhoamiShape compares whoami's reply with the one recorded from Kratos.
func TestWhoamiShape(t *testing.T) {
	raw := kratosexamples.Read(t, "whoami-200.json")
	var want map[string]any
	if err := json.Unmarshal(raw, &want); err != nil {
		t.Fatal(err)
	}
	e := newEnv(t, session.DefaultOptions())
	id := e.identity("a@example.com", false)
	_, tok := e.login(id, "password")
	r := e.do(e.public, "GET", "/sessions/whoami", tokenHdr(tok))
	expect(t, r, 200, "")
	var got map[string]any
	r.json(t, &got)
	if g, w := keys(got), keys(want); !reflect.DeepEqual(g, w) {
		t.Fatalf("shape differs\n got: %v\nwant: %v", g, w)
	}
}
