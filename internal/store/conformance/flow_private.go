package conformance

import (
	"testing"

	"github.com/portico-auth/portico/internal/store"
)

// testFlowPrivate checks FlowRecord.Private: stored beside Data, replaced by UpdateFlow, and
// empty stored and loaded as nil.
func testFlowPrivate(t *testing.T, s store.Store) {
	f := &store.FlowRecord{Kind: "settings", ExpiresAt: base, Data: []byte(`{"id":"x"}`),
		Private: []byte(`{"portico_pending":"sealed"}`)}
	must(t, s.CreateFlow(ctx(t), f))
	got, err := s.GetFlow(ctx(t), "settings", f.ID)
	must(t, err)
	if string(got.Data) != `{"id":"x"}` || string(got.Private) != `{"portico_pending":"sealed"}` {
		t.Errorf("flow = data %s private %s", got.Data, got.Private)
	}

	got.Private = []byte(`{"portico_internal":{"totp":"y"}}`)
	must(t, s.UpdateFlow(ctx(t), got))
	again, err := s.GetFlow(ctx(t), "settings", f.ID)
	must(t, err)
	if string(again.Data) != `{"id":"x"}` || string(again.Private) != `{"portico_internal":{"totp":"y"}}` {
		t.Errorf("after update: data %s private %s", again.Data, again.Private)
	}

	again.Private = nil
	must(t, s.UpdateFlow(ctx(t), again))
	cleared, err := s.GetFlow(ctx(t), "settings", f.ID)
	must(t, err)
	if cleared.Private != nil {
		t.Errorf("private after clearing = %q, want nil", cleared.Private)
	}

	plain := &store.FlowRecord{Kind: "login", ExpiresAt: base, Data: []byte(`{}`), Private: []byte{}}
	must(t, s.CreateFlow(ctx(t), plain))
	loaded, err := s.GetFlow(ctx(t), "login", plain.ID)
	must(t, err)
	if loaded.Private != nil {
		t.Errorf("private of a flow without one = %q, want nil", loaded.Private)
	}
}

// testFlowBytesReused checks that a store keeps no reference to a record's bytes once
// CreateFlow or UpdateFlow has returned (store.FlowRecord): a caller that reuses the buffers
// (internal/flow/settings pools them) does not change what was stored.
func testFlowBytesReused(t *testing.T, s store.Store) {
	data, private := []byte(`{"id":"original"}`), []byte(`{"p":"original-secret"}`)
	f := &store.FlowRecord{Kind: "settings", ExpiresAt: base, Data: data, Private: private}
	must(t, s.CreateFlow(ctx(t), f))
	overwrite(data, private)
	got, err := s.GetFlow(ctx(t), "settings", f.ID)
	must(t, err)
	if string(got.Data) != `{"id":"original"}` || string(got.Private) != `{"p":"original-secret"}` {
		t.Errorf("after create and reuse: data %s private %s", got.Data, got.Private)
	}

	data, private = []byte(`{"id":"replaced"}`), []byte(`{"p":"replaced-secret"}`)
	f.Data, f.Private = data, private
	must(t, s.UpdateFlow(ctx(t), f))
	overwrite(data, private)
	got, err = s.GetFlow(ctx(t), "settings", f.ID)
	must(t, err)
	if string(got.Data) != `{"id":"replaced"}` || string(got.Private) != `{"p":"replaced-secret"}` {
		t.Errorf("after update and reuse: data %s private %s", got.Data, got.Private)
	}
}

// testFlowBytesLoaded checks that the bytes of a loaded record stay what was loaded while the
// store goes on: reading other flows (a driver may reuse its row buffer), replacing and
// deleting the flow itself.
func testFlowBytesLoaded(t *testing.T, s store.Store) {
	a := &store.FlowRecord{Kind: "settings", ExpiresAt: base, Data: []byte(`{"id":"first"}`), Private: []byte(`{"p":"first-secret"}`)}
	b := &store.FlowRecord{Kind: "settings", ExpiresAt: base, Data: []byte(`{"id":"other"}`), Private: []byte(`{"p":"other-secret"}`)}
	must(t, s.CreateFlow(ctx(t), a))
	must(t, s.CreateFlow(ctx(t), b))
	got, err := s.GetFlow(ctx(t), "settings", a.ID)
	must(t, err)
	for range 3 {
		_, err := s.GetFlow(ctx(t), "settings", b.ID)
		must(t, err)
	}
	must(t, s.UpdateFlow(ctx(t), &store.FlowRecord{ID: a.ID, Kind: "settings", ExpiresAt: base,
		Data: []byte(`{"id":"replaced"}`), Private: []byte(`{"p":"replaced-secret"}`)}))
	again, err := s.GetFlow(ctx(t), "settings", a.ID)
	must(t, err)
	must(t, s.DeleteFlow(ctx(t), "settings", a.ID))
	if string(got.Data) != `{"id":"first"}` || string(got.Private) != `{"p":"first-secret"}` {
		t.Errorf("loaded record changed by later reads and writes: data %s private %s", got.Data, got.Private)
	}
	if string(again.Data) != `{"id":"replaced"}` || string(again.Private) != `{"p":"replaced-secret"}` {
		t.Errorf("record loaded after the update: data %s private %s", again.Data, again.Private)
	}
}

// overwrite fills each buffer with 'x', as a reuse of it would change it.
func overwrite(bufs ...[]byte) {
	for _, b := range bufs {
		for i := range b {
			b[i] = 'x'
		}
	}
}
