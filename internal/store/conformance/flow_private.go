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
