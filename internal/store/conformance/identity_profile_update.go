package conformance

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/portico-auth/portico/internal/apierr"
	"github.com/portico-auth/portico/internal/audit"
	"github.com/portico-auth/portico/internal/identity"
	"github.com/portico-auth/portico/internal/store"
)

// testIdentityProfileUpdate: a settings profile change as the settings handler stores it (the
// identity compared with the copy read at its version, no child row changed, a fresh flow and
// the submitted flow's success, an audit event on the context) writes the identity, its flows
// and its event together or not at all, and tells a conflict, a deleted identity, a taken
// external id and a taken flow id apart as the other updates do. PostgreSQL stores this update
// in one statement, so every outcome is checked on that path too.
func testIdentityProfileUpdate(t *testing.T, s store.Store) {
	id := create(t, s, "prof@example.com")
	submitted := &store.FlowRecord{Kind: "settings", IdentityID: &id.ID, ExpiresAt: base, Data: []byte(`{"state":"show_form"}`)}
	must(t, s.CreateFlow(ctx(t), submitted))

	// update stores cur, compared with stored, with a fresh flow of id fresh (new each call
	// when zero) and the submitted flow's success, carrying one audit event of its own.
	update := func(cur, stored *identity.Identity, fresh uuid.UUID, marker string) ([]uuid.UUID, error) {
		ev := audit.New(audit.IdentityUpdated, id.ID, map[string]any{"marker": marker})
		c := audit.With(ctx(t), ev)
		if fresh == uuid.Nil {
			fresh = uuid.New()
		}
		err := s.UpdateIdentityWith(c, cur, store.IdentityWrites{Stored: stored,
			Flows: func(v *identity.Identity) ([]store.FlowWrite, error) {
				data := fmt.Appendf(nil, `{"marker":%q,"version":%d}`, marker, v.Version)
				return []store.FlowWrite{
					{Record: &store.FlowRecord{ID: fresh, Kind: "settings", IdentityID: &v.ID, ExpiresAt: base, Data: data}, Create: true},
					{Record: &store.FlowRecord{ID: submitted.ID, Kind: "settings", IdentityID: &v.ID, ExpiresAt: base, Data: data}},
				}, nil
			}})
		if pending, _ := audit.Pending(c); (err == nil) != (len(pending) == 0) {
			t.Errorf("%s: error %v with %d events still pending", marker, err, len(pending))
		}
		return []uuid.UUID{fresh, submitted.ID}, err
	}
	read := func() *identity.Identity {
		t.Helper()
		got, err := s.GetIdentity(ctx(t), id.ID, true)
		must(t, err)
		return got
	}
	// written reports, for an update marked marker, whether its flows and its event are stored.
	written := func(marker string, flows []uuid.UUID) (freshStored, submittedWritten, eventStored bool) {
		t.Helper()
		want := fmt.Sprintf(`"marker":%q`, marker)
		if _, err := s.GetFlow(ctx(t), "settings", flows[0]); err == nil {
			freshStored = true
		} else if !isKind(err, apierr.ErrNotFound) {
			t.Fatal(err)
		}
		if f, err := s.GetFlow(ctx(t), "settings", flows[1]); err == nil {
			submittedWritten = json.Valid(f.Data) && strings.Contains(string(f.Data), want)
		}
		for _, ev := range events(t, s, id.ID) {
			var d struct{ Marker string }
			if json.Unmarshal(ev.Details, &d) == nil && d.Marker == marker {
				eventStored = true
			}
		}
		return
	}

	// A good change: the identity moves on, its relations stay, both flows and the event are
	// stored.
	stored := read()
	cur := stored.Clone()
	cur.Traits = json.RawMessage(`{"email":"prof@example.com","name":"Prof"}`)
	flows, err := update(cur, stored, uuid.Nil, "good")
	must(t, err)
	got := read()
	if got.Version != 2 || cur.Version != 2 || string(got.Traits) != string(cur.Traits) {
		t.Errorf("stored version %d (caller's %d), traits %s", got.Version, cur.Version, got.Traits)
	}
	sameTime(t, "caller's updated_at", cur.UpdatedAt, got.UpdatedAt)
	if len(got.Credentials) != 1 || len(got.Credentials[identity.CredentialsPassword].Identifiers) != 1 ||
		len(got.VerifiableAddresses) != 1 || len(got.RecoveryAddresses) != 1 {
		t.Errorf("relations changed by a profile update: %+v", got)
	}
	if f, sub, e := written("good", flows); !f || !sub || !e {
		t.Errorf("good update: fresh flow stored %v, submitted flow written %v, event stored %v", f, sub, e)
	}

	// The submitted flow was trimmed meanwhile: it is stored again, with its kind.
	must(t, s.DeleteFlow(ctx(t), "settings", submitted.ID))
	stored = read()
	cur = stored.Clone()
	cur.Traits = json.RawMessage(`{"email":"prof@example.com","name":"Trimmed"}`)
	flows, err = update(cur, stored, uuid.Nil, "trimmed")
	must(t, err)
	if f, sub, e := written("trimmed", flows); !f || !sub || !e {
		t.Errorf("after a trim: fresh flow stored %v, submitted flow written %v, event stored %v", f, sub, e)
	}

	// refused checks that an update marked marker wrote nothing, the identity included.
	refused := func(marker string, flows []uuid.UUID, version int) {
		t.Helper()
		if f, sub, e := written(marker, flows); f || sub || e {
			t.Errorf("%s: fresh flow stored %v, submitted flow written %v, event stored %v", marker, f, sub, e)
		}
		if got, err := s.GetIdentity(ctx(t), id.ID, false); err == nil && got.Version != version {
			t.Errorf("%s: identity at version %d, want %d", marker, got.Version, version)
		}
	}

	// A stale copy (another change came first): a conflict with the reason every update gives.
	stale := read()
	other := stale.Clone()
	other.MetadataPublic = json.RawMessage(`{"plan":"pro"}`)
	must(t, s.UpdateIdentity(ctx(t), other))
	cur = stale.Clone()
	cur.Traits = json.RawMessage(`{"email":"prof@example.com","name":"Stale"}`)
	flows, err = update(cur, stale, uuid.Nil, "stale")
	wantKind(t, err, apierr.ErrConflict)
	if r := reasonOf(err); r != "the identity was changed by someone else, reload it and try again" {
		t.Errorf("conflict reason = %q", r)
	}
	refused("stale", flows, other.Version)

	// An external id another identity holds: a conflict saying so, nothing written.
	taken := newIdentity("prof-other@example.com")
	taken.ExternalID = "prof-ext"
	must(t, s.CreateIdentity(ctx(t), taken))
	stored = read()
	cur = stored.Clone()
	cur.ExternalID = "prof-ext"
	flows, err = update(cur, stored, uuid.Nil, "external id")
	wantKind(t, err, apierr.ErrConflict)
	if r := reasonOf(err); r != "an identity with this external id already exists" {
		t.Errorf("external id reason = %q", r)
	}
	refused("external id", flows, stored.Version)

	// A fresh flow whose id another flow holds: a conflict saying so, and the identity, the
	// submitted flow and the event are not stored either.
	occupied := &store.FlowRecord{Kind: "settings", IdentityID: &id.ID, ExpiresAt: base, Data: []byte(`{"occupied":true}`)}
	must(t, s.CreateFlow(ctx(t), occupied))
	cur = stored.Clone()
	cur.Traits = json.RawMessage(`{"email":"prof@example.com","name":"Flow"}`)
	flows, err = update(cur, stored, occupied.ID, "flow id")
	wantKind(t, err, apierr.ErrConflict)
	if r := reasonOf(err); r != "a flow with this id already exists" {
		t.Errorf("flow id reason = %q", r)
	}
	if f, err := s.GetFlow(ctx(t), "settings", occupied.ID); err != nil || string(f.Data) != `{"occupied":true}` {
		t.Errorf("the occupied flow was changed: %+v, %v", f, err)
	}
	refused("flow id", []uuid.UUID{uuid.New(), flows[1]}, stored.Version)

	// A deleted identity: not found, nothing written.
	stored = read()
	must(t, s.DeleteIdentity(ctx(t), id.ID))
	cur = stored.Clone()
	cur.Traits = json.RawMessage(`{"email":"prof@example.com","name":"Gone"}`)
	flows, err = update(cur, stored, uuid.Nil, "deleted")
	wantKind(t, err, apierr.ErrNotFound)
	refused("deleted", flows, 0)
}
