package conformance

import (
	"encoding/json"
	"fmt"
	"testing"

	"github.com/google/uuid"

	"github.com/portico-auth/portico/internal/apierr"
	"github.com/portico-auth/portico/internal/identity"
	"github.com/portico-auth/portico/internal/store"
)

// testIdentityUpdateWith: the identity, the flows built from the identity as it will be stored
// and the revocation are written together or not at all.
func testIdentityUpdateWith(t *testing.T, s store.Store) {
	id := create(t, s, "judy@example.com")
	current := createSession(t, s, id, "tok-judy-current", base)
	other := createSession(t, s, id, "tok-judy-other", base)
	submitted := &store.FlowRecord{Kind: "settings", IdentityID: &id.ID, ExpiresAt: base, Data: []byte(`{"state":"show_form"}`)}
	must(t, s.CreateFlow(ctx(t), submitted))

	// writes returns the flows of one update: a fresh flow and the submitted flow's success,
	// both naming the identity's version and updated_at as the builder was shown them.
	var shown *identity.Identity
	writes := func(v *identity.Identity) ([]store.FlowWrite, error) {
		shown = v
		data := fmt.Appendf(nil, `{"version":%d,"updated_at":%q}`, v.Version, v.UpdatedAt.Format("2006-01-02T15:04:05.000000Z"))
		return []store.FlowWrite{
			{Record: &store.FlowRecord{Kind: "settings", IdentityID: &v.ID, ExpiresAt: base, Data: data}, Create: true},
			{Record: &store.FlowRecord{ID: submitted.ID, Kind: "settings", IdentityID: &v.ID, ExpiresAt: base, Data: data}},
		}, nil
	}

	// A stale version: nothing is written, no session revoked, the submitted flow unchanged.
	stale, err := s.GetIdentity(ctx(t), id.ID, true)
	must(t, err)
	stale.Version = 99
	stale.Traits = json.RawMessage(`{"email":"judy@example.com","x":1}`)
	var flows []store.FlowWrite
	keep := current.ID
	wantKind(t, s.UpdateIdentityWith(ctx(t), stale, store.IdentityWrites{RevokeSessionsExcept: &keep,
		Flows: func(v *identity.Identity) ([]store.FlowWrite, error) {
			var err error
			flows, err = writes(v)
			return flows, err
		}}), apierr.ErrConflict)
	if _, err := s.GetFlow(ctx(t), "settings", flows[0].Record.ID); !isKind(err, apierr.ErrNotFound) {
		t.Errorf("a refused update created its flow: %v", err)
	}
	if got, err := s.GetFlow(ctx(t), "settings", submitted.ID); err != nil || string(got.Data) != `{"state":"show_form"}` {
		t.Errorf("a refused update wrote the submitted flow: %+v, %v", got, err)
	}
	if got, err := s.GetSession(ctx(t), other.ID); err != nil || !got.Active {
		t.Fatalf("a refused update revoked a session: %+v, %v", got, err)
	}

	// A builder's error is returned and nothing is written.
	fresh, err := s.GetIdentity(ctx(t), id.ID, true)
	must(t, err)
	boom := apierr.ErrInternal.WithReason("builder failed")
	if err := s.UpdateIdentityWith(ctx(t), fresh, store.IdentityWrites{Flows: func(*identity.Identity) ([]store.FlowWrite, error) {
		return nil, boom
	}}); err != boom {
		t.Fatalf("builder error = %v, want it as returned", err)
	}
	if got, err := s.GetIdentity(ctx(t), id.ID, false); err != nil || got.Version != 1 {
		t.Fatalf("a failed builder stored the identity: %+v, %v", got, err)
	}

	// A good update: the flows hold what the stored identity holds.
	fresh.Traits = json.RawMessage(`{"email":"judy@example.com","x":2}`)
	must(t, s.UpdateIdentityWith(ctx(t), fresh, store.IdentityWrites{RevokeSessionsExcept: &keep,
		Flows: func(v *identity.Identity) ([]store.FlowWrite, error) {
			var err error
			flows, err = writes(v)
			return flows, err
		}}))
	got, err := s.GetIdentity(ctx(t), id.ID, true)
	must(t, err)
	if got.Version != 2 || fresh.Version != 2 || shown.Version != 2 || string(got.Traits) != `{"email":"judy@example.com","x":2}` {
		t.Errorf("stored version %d (caller's %d, shown %d), traits %s", got.Version, fresh.Version, shown.Version, got.Traits)
	}
	sameTime(t, "updated_at shown to the builder", shown.UpdatedAt, got.UpdatedAt)
	sameTime(t, "caller's updated_at", fresh.UpdatedAt, got.UpdatedAt)
	want := fmt.Sprintf(`{"version":2,"updated_at":%q}`, got.UpdatedAt.Format("2006-01-02T15:04:05.000000Z"))
	for _, f := range flows {
		stored, err := s.GetFlow(ctx(t), "settings", f.Record.ID)
		must(t, err)
		if string(stored.Data) != want {
			t.Errorf("flow %s = %s, want %s", f.Record.ID, stored.Data, want)
		}
	}
	for _, c := range []struct {
		id     uuid.UUID
		active bool
	}{{current.ID, true}, {other.ID, false}} {
		got, err := s.GetSession(ctx(t), c.id)
		must(t, err)
		if got.Active != c.active {
			t.Errorf("session %s active = %v, want %v", c.id, got.Active, c.active)
		}
	}

	// A flow to replace that is gone (trimmed meanwhile) is inserted again.
	must(t, s.DeleteFlow(ctx(t), "settings", submitted.ID))
	must(t, s.UpdateIdentityWith(ctx(t), got, store.IdentityWrites{Flows: writes}))
	if f, err := s.GetFlow(ctx(t), "settings", submitted.ID); err != nil || string(f.Data) == "" {
		t.Errorf("the trimmed flow was not stored again: %+v, %v", f, err)
	}
}

// testIdentityUpdateWithConcurrent: of many updates of one version, exactly one is stored,
// and only its flows are.
func testIdentityUpdateWithConcurrent(t *testing.T, s store.Store) {
	id := create(t, s, "kate@example.com")
	const n = 100
	copies := make([]*identity.Identity, n)
	for i := range copies {
		c, err := s.GetIdentity(ctx(t), id.ID, true)
		must(t, err)
		c.Traits = json.RawMessage(fmt.Sprintf(`{"email":"kate@example.com","n":%d}`, i))
		copies[i] = c
	}
	flowIDs := make([]uuid.UUID, n)
	for i := range flowIDs {
		flowIDs[i] = uuid.New()
	}
	errs := inParallel(n, func(i int) error {
		return s.UpdateIdentityWith(ctx(t), copies[i], store.IdentityWrites{Flows: func(v *identity.Identity) ([]store.FlowWrite, error) {
			return []store.FlowWrite{{Record: &store.FlowRecord{ID: flowIDs[i], Kind: "settings", IdentityID: &v.ID,
				ExpiresAt: base, Data: fmt.Appendf(nil, `{"n":%d}`, i)}, Create: true}}, nil
		}})
	})
	winner := oneWinner(t, errs)
	got, err := s.GetIdentity(ctx(t), id.ID, false)
	must(t, err)
	if got.Version != 2 || string(got.Traits) != fmt.Sprintf(`{"email":"kate@example.com","n":%d}`, winner) {
		t.Errorf("stored %d %s, want version 2 with the winner's traits (%d)", got.Version, got.Traits, winner)
	}
	for i, fid := range flowIDs {
		_, err := s.GetFlow(ctx(t), "settings", fid)
		switch {
		case i == winner && err != nil:
			t.Errorf("the winner's flow: %v", err)
		case i != winner && !isKind(err, apierr.ErrNotFound):
			t.Errorf("the flow of refused update %d: %v, want not found", i, err)
		}
	}
}
