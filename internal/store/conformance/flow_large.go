package conformance

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/portico-auth/portico/internal/identity"
	"github.com/portico-auth/portico/internal/store"
)

// testFlowLargeDocuments checks that documents of a real settings flow's size come back byte
// for byte through every way a flow is written and read (a store may keep them in another form,
// as sqlstore compresses them on SQLite): compressible and incompressible ones, at and around
// the size a store might start compressing at, created, replaced, written by UpdateIdentityWith
// (also on PostgreSQL's one-statement path), read by GetFlow and with a session.
func testFlowLargeDocuments(t *testing.T, s store.Store) {
	id := create(t, s, "large-docs@example.com")
	tok := "tok-large-docs"
	createSession(t, s, id, tok, base)
	docs := map[string][]byte{
		"settings flow": largeFlowDoc("a", 60),
		"incompressible": func() []byte {
			r := make([]byte, 3000)
			_, _ = rand.Read(r)
			return fmt.Appendf(nil, `{"blob":%q}`, base64.StdEncoding.EncodeToString(r))
		}(),
		"1 KiB":    padDoc(1 << 10),
		"1 KiB-1":  padDoc(1<<10 - 1),
		"small":    []byte(`{"ui":{"nodes":[]}}`),
		"repeated": []byte(`{"x":"` + strings.Repeat("ab", 40_000) + `"}`),
	}
	private := []byte(`{"sealed":"` + strings.Repeat("p", 4000) + `"}`)
	check := func(what string, fid uuid.UUID, want []byte) {
		t.Helper()
		got, err := s.GetFlow(ctx(t), "settings", fid)
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		if !bytes.Equal(got.Data, want) || !bytes.Equal(got.Private, private) {
			t.Errorf("%s: data %d bytes (want %d), equal %v; private equal %v", what, len(got.Data), len(want),
				bytes.Equal(got.Data, want), bytes.Equal(got.Private, private))
		}
		p := &store.FlowPrefetch{Kind: "settings", ID: fid}
		if _, err := s.GetSessionByToken(store.WithFlowPrefetch(ctx(t), p), tokenHash(tok)); err != nil {
			t.Fatalf("%s: session read: %v", what, err)
		}
		if p.Done && (p.Record == nil || !bytes.Equal(p.Record.Data, want) || !bytes.Equal(p.Record.Private, private)) {
			t.Errorf("%s: the flow read with the session differs", what)
		}
	}
	for name, doc := range docs {
		// The caller's bytes are its own again once the call returned.
		data := bytes.Clone(doc)
		f := &store.FlowRecord{Kind: "settings", IdentityID: &id.ID, ExpiresAt: base, Data: data, Private: bytes.Clone(private)}
		must(t, s.CreateFlow(ctx(t), f))
		overwrite(data)
		check(name+": created", f.ID, doc)

		// Replaced by another document of the same kind, and by a small one and back.
		other := largeFlowDoc("b", 40)
		if name != "settings flow" {
			other = bytes.Replace(doc, []byte(`{`), []byte(`{"v":2,`), 1)
		}
		for i, next := range [][]byte{other, []byte(`{"v":3}`), doc} {
			data = bytes.Clone(next)
			f.Data = data
			must(t, s.UpdateFlow(ctx(t), f))
			overwrite(data)
			check(fmt.Sprintf("%s: update %d", name, i), f.ID, next)
		}
	}

	// UpdateIdentityWith: a new flow and a replaced one, with the identity as read (PostgreSQL
	// stores a profile change in one statement) and without.
	submitted := &store.FlowRecord{Kind: "settings", IdentityID: &id.ID, ExpiresAt: base, Data: largeFlowDoc("c", 30), Private: private}
	must(t, s.CreateFlow(ctx(t), submitted))
	for i, withStored := range []bool{true, false} {
		stored, err := s.GetIdentity(ctx(t), id.ID, true)
		must(t, err)
		cur := stored.Clone()
		cur.Traits = json.RawMessage(fmt.Sprintf(`{"email":"large-docs@example.com","n":%d}`, i))
		w := store.IdentityWrites{Flows: func(v *identity.Identity) ([]store.FlowWrite, error) {
			return []store.FlowWrite{
				{Record: &store.FlowRecord{Kind: "settings", IdentityID: &v.ID, ExpiresAt: base, Data: largeFlowDoc(fmt.Sprint("new", i), 50), Private: private}, Create: true},
				{Record: &store.FlowRecord{ID: submitted.ID, Kind: "settings", IdentityID: &v.ID, ExpiresAt: base, Data: largeFlowDoc(fmt.Sprint("sub", i), 50), Private: private}},
			}, nil
		}}
		if withStored {
			w.Stored = stored
		}
		var written []store.FlowWrite
		flows := w.Flows
		w.Flows = func(v *identity.Identity) ([]store.FlowWrite, error) {
			fw, err := flows(v)
			written = fw
			return fw, err
		}
		must(t, s.UpdateIdentityWith(ctx(t), cur, w))
		check(fmt.Sprintf("update with flows %d: new", i), written[0].Record.ID, largeFlowDoc(fmt.Sprint("new", i), 50))
		check(fmt.Sprintf("update with flows %d: replaced", i), submitted.ID, largeFlowDoc(fmt.Sprint("sub", i), 50))
	}
}

// largeFlowDoc is a JSON document shaped like a settings flow's: n UI nodes, each with its
// attributes and label, marked with tag.
func largeFlowDoc(tag string, n int) []byte {
	b := []byte(`{"id":"` + tag + `","type":"browser","ui":{"method":"POST","nodes":[`)
	for i := range n {
		if i > 0 {
			b = append(b, ',')
		}
		b = fmt.Appendf(b, `{"type":"input","group":"totp","attributes":{"name":"field_%s_%d","type":"text","value":"%x","required":false,"disabled":false,"node_type":"input"},"messages":[],"meta":{"label":{"id":%d,"text":"Field %d","type":"info"}}}`,
			tag, i, i*7919, 1070000+i, i)
	}
	return append(b, `]},"state":"show_form"}`...)
}

// padDoc is a JSON document of exactly n bytes.
func padDoc(n int) []byte {
	const head, tail = `{"pad":"`, `"}`
	return []byte(head + strings.Repeat("z", n-len(head)-len(tail)) + tail)
}
