package settings

import (
	"encoding/json"
	"testing"

	"github.com/portico-auth/portico/internal/flow"
)

// FuzzSplitNodes: whatever bytes a stored flow holds, splitting its node list neither panics
// nor reads outside them, and a valid JSON document stays valid with its lazy nodes taken
// out: each lazy node is a whole JSON value, and the kept list has its commas right.
func FuzzSplitNodes(f *testing.F) {
	f.Add([]byte(`{"id":"x","ui":{"action":"a","method":"POST","nodes":[{"type":"input","group":"default","attributes":{"name":"csrf_token"}},{"type":"input","group":"totp","attributes":{"value":"]}\"{["}},{"type":"img","group":"profile"}],"messages":[]},"state":"show_form"}`))
	f.Add([]byte(`{"ui":{"nodes":[]}}`))
	f.Add([]byte(`{"ui":{"nodes":[{"type":"a","group":"password"} , {"type":"b","group":"default"}]}}`))
	f.Add([]byte(`{"ui":{"nodes":[{"type":"a","group":"pass\u0077ord"},{"group":"totp","type":"x"}]}}`))
	f.Fuzz(func(t *testing.T, doc []byte) {
		valid := json.Valid(doc)
		out, lazy, box, err := splitNodes(doc, func(g flow.Group) bool { return g == flow.GroupDefault })
		if box != nil {
			defer putCleared(box)
		}
		if err != nil {
			return
		}
		if !valid {
			return
		}
		if !json.Valid(out) {
			t.Fatalf("split of a valid document is not valid JSON:\n%s\nfrom\n%s", out, doc)
		}
		for _, n := range lazy {
			if !json.Valid(n.raw) {
				t.Fatalf("a lazy node is not a JSON value: %s", n.raw)
			}
		}
	})
}
