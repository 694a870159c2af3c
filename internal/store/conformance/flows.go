package conformance

import (
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/portico-auth/portico/internal/apierr"
	"github.com/portico-auth/portico/internal/store"
)

func testFlows(t *testing.T, s store.Store) {
	f := &store.FlowRecord{Kind: "login", ExpiresAt: base, Data: []byte(`{"ui":{"nodes":[]}}`)}
	must(t, s.CreateFlow(ctx(t), f))
	if f.ID == uuid.Nil {
		t.Fatal("flow id not filled in")
	}
	got, err := s.GetFlow(ctx(t), "login", f.ID)
	must(t, err)
	if got.ID != f.ID || got.Kind != "login" || got.IdentityID != nil || string(got.Data) != `{"ui":{"nodes":[]}}` {
		t.Errorf("flow = %+v", got)
	}
	sameTime(t, "expires_at", got.ExpiresAt, base)
	_, err = s.GetFlow(ctx(t), "registration", f.ID)
	wantKind(t, err, apierr.ErrNotFound)
	_, err = s.GetFlow(ctx(t), "login", uuid.New())
	wantKind(t, err, apierr.ErrNotFound)

	id := create(t, s, "pat@example.com")
	idRef := id.ID
	got.IdentityID = &idRef
	got.Data = []byte(`{"state":"done"}`)
	got.ExpiresAt = base.Add(time.Hour)
	must(t, s.UpdateFlow(ctx(t), got))
	must(t, s.UpdateFlow(ctx(t), got)) // unchanged is not "not found"
	again, err := s.GetFlow(ctx(t), "login", f.ID)
	must(t, err)
	if again.IdentityID == nil || *again.IdentityID != id.ID || string(again.Data) != `{"state":"done"}` {
		t.Errorf("after update: %+v", again)
	}
	sameTime(t, "expires_at", again.ExpiresAt, base.Add(time.Hour))
	wantKind(t, s.UpdateFlow(ctx(t), &store.FlowRecord{ID: uuid.New(), Kind: "login", ExpiresAt: base, Data: []byte(`{}`)}), apierr.ErrNotFound)

	for i := 0; i < 4; i++ {
		must(t, s.CreateFlow(ctx(t), &store.FlowRecord{Kind: "registration", ExpiresAt: base.Add(-time.Duration(i+1) * time.Minute), Data: []byte(`{}`)}))
	}
	n, err := s.DeleteFlowsExpiredBefore(ctx(t), base, 3)
	must(t, err)
	if n != 3 {
		t.Errorf("deleted %d flows, want 3", n)
	}
	n, err = s.DeleteFlowsExpiredBefore(ctx(t), base.Add(2*time.Hour), 0)
	must(t, err)
	if n != 2 {
		t.Errorf("deleted %d flows, want 2", n)
	}
}

func testErrors(t *testing.T, s store.Store) {
	id := uuid.New()
	must(t, s.CreateError(ctx(t), id, []byte(`{"code":500}`)))
	got, err := s.GetError(ctx(t), id)
	must(t, err)
	if string(got) != `{"code":500}` {
		t.Errorf("error = %s", got)
	}
	_, err = s.GetError(ctx(t), uuid.New())
	wantKind(t, err, apierr.ErrNotFound)
	wantKind(t, s.CreateError(ctx(t), id, []byte(`{}`)), apierr.ErrConflict)
}

func testValues(t *testing.T, s store.Store) {
	_, err := s.GetValue(ctx(t), "secret")
	wantKind(t, err, apierr.ErrNotFound)
	v, err := s.PutValueIfAbsent(ctx(t), "secret", "first")
	must(t, err)
	if v != "first" {
		t.Errorf("stored %q", v)
	}
	v, err = s.PutValueIfAbsent(ctx(t), "secret", "second")
	must(t, err)
	if v != "first" {
		t.Errorf("second put returned %q, want the first value", v)
	}
	v, err = s.GetValue(ctx(t), "secret")
	must(t, err)
	if v != "first" {
		t.Errorf("get = %q", v)
	}

	// Racing writers all agree on one value.
	const n = 8
	got := make([]string, n)
	errs := inParallel(n, func(i int) (err error) {
		got[i], err = s.PutValueIfAbsent(ctx(t), "race", uuid.NewString())
		return err
	})
	for i := range got {
		if errs[i] != nil || got[i] != got[0] {
			t.Errorf("racing put %d = %q, %v; want %q", i, got[i], errs[i], got[0])
		}
	}
}

func testFlowDelete(t *testing.T, s store.Store) {
	rec := &store.FlowRecord{Kind: "webauthn_ceremony", ExpiresAt: base.Add(time.Hour), Data: []byte(`{"challenge":"x"}`)}
	must(t, s.CreateFlow(ctx(t), rec))
	wantKind(t, s.DeleteFlow(ctx(t), "login", rec.ID), apierr.ErrNotFound) // another kind is untouched
	// Of concurrent deletes of one record exactly one succeeds: single use holds.
	var wg sync.WaitGroup
	var ok atomic.Int32
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			err := s.DeleteFlow(ctx(t), rec.Kind, rec.ID)
			switch {
			case err == nil:
				ok.Add(1)
			case !errors.Is(err, apierr.ErrNotFound):
				t.Errorf("delete: %v", err)
			}
		}()
	}
	wg.Wait()
	if ok.Load() != 1 {
		t.Fatalf("%d concurrent deletes succeeded, want exactly 1", ok.Load())
	}
	_, err := s.GetFlow(ctx(t), rec.Kind, rec.ID)
	wantKind(t, err, apierr.ErrNotFound)
}
