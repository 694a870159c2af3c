package conformance

import (
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/portico-auth/portico/internal/store"
)

// testFlowTrim: TrimFlows keeps an identity's newest flows of one kind (by expiry) and the
// one it is told to keep, leaves other kinds and other identities alone, says how many flows
// are left, and concurrent trims after concurrent creations leave at most the cap.
func testFlowTrim(t *testing.T, s store.Store) {
	a := create(t, s, "trim-a@example.com")
	b := create(t, s, "trim-b@example.com")
	aID, bID := a.ID, b.ID
	var made []*store.FlowRecord
	for i := 0; i < 6; i++ {
		f := &store.FlowRecord{Kind: "settings", IdentityID: &aID, ExpiresAt: base.Add(time.Duration(i) * time.Minute), Data: []byte(`{}`)}
		must(t, s.CreateFlow(ctx(t), f))
		made = append(made, f)
	}
	other := &store.FlowRecord{Kind: "login", IdentityID: &aID, ExpiresAt: base, Data: []byte(`{}`)}
	must(t, s.CreateFlow(ctx(t), other))
	theirs := &store.FlowRecord{Kind: "settings", IdentityID: &bID, ExpiresAt: base, Data: []byte(`{}`)}
	must(t, s.CreateFlow(ctx(t), theirs))

	tr, err := s.TrimFlows(ctx(t), "settings", aID, uuid.Nil, 10, 10)
	must(t, err)
	if tr.Deleted != 0 || tr.Left != 6 {
		t.Fatalf("trim of 6 under the cap: %+v, want nothing deleted and 6 left", tr)
	}
	tr, err = s.TrimFlows(ctx(t), "settings", aID, uuid.Nil, 6, 6)
	must(t, err)
	if tr.Deleted != 0 || tr.Left != 6 {
		t.Fatalf("trim of 6 at the cap: %+v, want nothing deleted and 6 left", tr)
	}
	tr, err = s.TrimFlows(ctx(t), "settings", aID, uuid.Nil, 4, 4)
	must(t, err)
	if tr.Deleted != 2 || tr.Left != 4 {
		t.Fatalf("trim to 4 of 6: %+v, want 2 deleted and 4 left", tr)
	}
	for i, f := range made {
		_, err := s.GetFlow(ctx(t), "settings", f.ID)
		if kept := err == nil; kept != (i >= 2) {
			t.Errorf("flow %d (expiring at +%dm): kept %v", i, i, kept)
		}
	}
	for _, f := range []*store.FlowRecord{other, theirs} {
		if _, err := s.GetFlow(ctx(t), f.Kind, f.ID); err != nil {
			t.Errorf("trim deleted a %s flow of another kind or identity: %v", f.Kind, err)
		}
	}

	// The flow to keep stays even when it is the oldest.
	tr, err = s.TrimFlows(ctx(t), "settings", aID, made[2].ID, 2, 2)
	must(t, err)
	if tr.Deleted != 2 || tr.Left != 2 {
		t.Fatalf("trim to 2 keeping the oldest of 4: %+v, want 2 deleted and 2 left", tr)
	}
	for i, f := range made[2:] {
		_, err := s.GetFlow(ctx(t), "settings", f.ID)
		if kept := err == nil; kept != (i == 0 || i == 3) {
			t.Errorf("keeping the oldest: flow %d kept %v", i+2, kept)
		}
	}

	// Equal expiry times (flows made in the same instant) still leave exactly the cap, with
	// every creation's own flow kept by its own trim, also when creations and trims race.
	const cap, racers = 5, 40
	var wg sync.WaitGroup
	for i := 0; i < racers; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			f := &store.FlowRecord{Kind: "settings", IdentityID: &bID, ExpiresAt: base.Add(time.Hour), Data: []byte(`{}`)}
			if err := s.CreateFlow(ctx(t), f); err != nil {
				t.Error(err)
				return
			}
			if _, err := s.TrimFlows(ctx(t), "settings", bID, f.ID, cap, cap); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	tr, err = s.TrimFlows(ctx(t), "settings", bID, uuid.Nil, cap, cap)
	must(t, err)
	all, err := s.TrimFlows(ctx(t), "settings", bID, uuid.Nil, 0, 0)
	must(t, err)
	left := all.Deleted
	// Each trim keeps its own flow, so racing trims may leave fewer than the cap, never more.
	if tr.Deleted != 0 || tr.Left != left || left < 1 || left > cap {
		t.Fatalf("after %d racing creations and trims to %d: a last trim %+v, %d left", racers, cap, tr, left)
	}

	// With keep below the cap, nothing goes until there are more than the cap; then the
	// flows go down to keep, the one to keep among them.
	c := create(t, s, "trim-c@example.com")
	cID := c.ID
	newFlow := func(i int) *store.FlowRecord {
		f := &store.FlowRecord{Kind: "settings", IdentityID: &cID, ExpiresAt: base.Add(time.Duration(i) * time.Minute), Data: []byte(`{}`)}
		must(t, s.CreateFlow(ctx(t), f))
		return f
	}
	for i := 0; i < 4; i++ {
		newFlow(i)
	}
	if tr, err := s.TrimFlows(ctx(t), "settings", cID, uuid.Nil, 4, 1); err != nil || tr.Deleted != 0 || tr.Left != 4 {
		t.Fatalf("4 flows capped at 4: %+v (%v), want nothing deleted and 4 left", tr, err)
	}
	oldest := newFlow(-10)
	if tr, err := s.TrimFlows(ctx(t), "settings", cID, oldest.ID, 4, 2); err != nil || tr.Deleted != 3 || tr.Left != 2 {
		t.Fatalf("5 flows capped at 4, trimmed to 2: %+v (%v), want 3 deleted and 2 left", tr, err)
	}
	if _, err := s.GetFlow(ctx(t), "settings", oldest.ID); err != nil {
		t.Fatalf("the flow to keep went: %v", err)
	}
}
