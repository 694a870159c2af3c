package settings

import (
	"encoding/json"
	"net/http/httptest"
	"net/url"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/portico-auth/portico/internal/flow"
	"github.com/portico-auth/portico/internal/identity"
	"github.com/portico-auth/portico/internal/text"
)

// TestStoredLayoutServesEveryArrangement: for secret nodes at the start, in the middle, at the
// end, in runs and alone, sealed and unsealed, the reply encode builds, the document a read
// assembles from the stored record (at the noted offsets) and the one placed by index are the
// same JSON, equal to encoding/json's encoding of the flow; decode restores the flow. A Data
// that is not the one the offsets were noted for, and rows of the previous layout, are still
// served right (by index).
func TestStoredLayoutServesEveryArrangement(t *testing.T) {
	public, _ := url.Parse("https://auth.example")
	const nodes = 5
	for _, secrets := range []string{"", "S....", "....S", "..S..", "SS...", "...SS", ".S.S.", "SSSSS", "S.S.S", "SS.SS"} {
		for _, sl := range []*sealer{newSealer(nil), newSealer([]string{"layout-secret-layout-secret-0123"})} {
			name := secrets + map[bool]string{true: "/sealed", false: "/plain"}[sl.canSeal()]
			t.Run(name, func(t *testing.T) {
				st := &stored{Flow: Flow{Base: flow.NewBase(flow.TypeBrowser, httptest.NewRequest("GET", "/x", nil), public, ActionPath, time.Now(), time.Hour), State: StateShowForm}}
				id := identity.Identity{ID: uuid.New(), SchemaID: "default", Traits: json.RawMessage(`{"email":"a<b>@example.com"}`)}
				st.Identity = id.Public(public.String())
				st.UI.AddMessage(text.NewSettingsSaved())
				for i := range nodes {
					n := flow.NewInput(flow.GroupDefault, flow.InputAttributes{Name: "n" + string(rune('a'+i)), Type: flow.InputText, Value: strings.Repeat("v&", i)}, nil)
					if i < len(secrets) && secrets[i] == 'S' {
						st.AppendSecret(n)
					} else {
						st.UI.Nodes.Append(n)
					}
				}
				if err := st.SetInternal("k", map[string]string{"a": "b"}); err != nil {
					t.Fatal(err)
				}
				want, err := json.Marshal(&st.Flow)
				if err != nil {
					t.Fatal(err)
				}
				e, err := encode(st, sl)
				if err != nil {
					t.Fatal(err)
				}
				sameJSON(t, "reply", e.body, want)
				if strings.Contains(string(e.rec.Data), "identity") {
					t.Errorf("identity stored in Data: %s", e.rec.Data)
				}
				p, err := openPrivate(e.rec, sl)
				if err != nil {
					t.Fatal(err)
				}
				for _, sn := range p.Secrets {
					if strings.Contains(string(e.rec.Data), string(sn.Node)) {
						t.Errorf("secret node in Data: %s", sn.Node)
					}
				}
				withoutIdentity := *st
				withoutIdentity.Identity = nil
				plain, _ := json.Marshal(&withoutIdentity.Flow)
				served, err := appendFilled(nil, e.rec.Data, p.Secrets, p.dataLen)
				if err != nil {
					t.Fatal(err)
				}
				sameJSON(t, "served at offsets", served, plain)
				if _, ok := spliceAt(nil, e.rec.Data, keptOf(p.Secrets), p.dataLen); !ok && strings.Contains(secrets, "S") {
					t.Error("offsets not used")
				}
				byIndex, err := appendFilled(nil, e.rec.Data, p.Secrets, -1)
				if err != nil {
					t.Fatal(err)
				}
				sameJSON(t, "served by index", byIndex, plain)
				// A Data the offsets were not noted for (one byte longer) is placed by index.
				longer := append([]byte(strings.TrimSuffix(string(e.rec.Data), "}")), ` }`...)
				other, err := appendFilled(nil, longer, p.Secrets, p.dataLen)
				if err != nil {
					t.Fatal(err)
				}
				sameJSON(t, "other data", other, plain)
				// The reply a read builds, at the offsets and by index, in a buffer that is
				// missing, too small or large and holding an earlier reply, is the very bytes
				// of the reply encode built.
				ident, _ := json.Marshal(st.Identity)
				for _, dataLen := range []int{p.dataLen, -1} {
					for _, buf := range [][]byte{nil, []byte("earlier"), []byte(strings.Repeat("earlier", len(e.body)))} {
						got, err := buildServed(buf, e.rec.Data, p.Secrets, dataLen, ident)
						if err != nil {
							t.Fatal(err)
						}
						if string(got) != string(e.body) {
							t.Errorf("served (data length %d, buffer of %d):\n got %s\nwant %s", dataLen, len(buf), got, e.body)
						}
					}
				}

				back, err := decode(e.rec, sl)
				if err != nil {
					t.Fatal(err)
				}
				back.Identity = st.Identity
				got, _ := json.Marshal(&back.Flow)
				sameJSON(t, "decoded", got, want)
				var v map[string]string
				if ok, err := back.Flow.Internal("k", &v); !ok || err != nil || v["a"] != "b" {
					t.Errorf("internal context: %v %v %v", ok, err, v)
				}

				// The previous layout: one JSON object.
				v1, _ := json.Marshal(privateV1{Internal: json.RawMessage(`{"k":{"a":"b"}}`), Secrets: p.Secrets})
				if sl.canSeal() {
					sealed, err := sl.seal(v1, st.ID[:])
					if err != nil {
						t.Fatal(err)
					}
					v1 = []byte(sealed)
				}
				old := *e.rec
				old.Private = v1
				p1, err := openPrivate(&old, sl)
				if err != nil {
					t.Fatal(err)
				}
				served1, err := appendFilled(nil, old.Data, p1.Secrets, p1.dataLen)
				if err != nil {
					t.Fatal(err)
				}
				sameJSON(t, "previous layout", served1, plain)
				back1, err := decode(&old, sl)
				if err != nil {
					t.Fatal(err)
				}
				if ok, _ := back1.Flow.Internal("k", &v); !ok || v["a"] != "b" {
					t.Error("previous layout's internal context lost")
				}
			})
		}
	}
}

func keptOf(secret []secretNode) []secretNode {
	var keep []secretNode
	for _, sn := range secret {
		if !sn.Once {
			keep = append(keep, sn)
		}
	}
	return keep
}

func sameJSON(t *testing.T, what string, got, want []byte) {
	t.Helper()
	var g, w any
	if err := json.Unmarshal(got, &g); err != nil {
		t.Fatalf("%s: not JSON: %v\n%s", what, err, got)
	}
	if err := json.Unmarshal(want, &w); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(g, w) {
		t.Errorf("%s:\n got %s\nwant %s", what, got, want)
	}
}
