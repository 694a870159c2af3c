package settings

import (
	"context"
	"encoding/json"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/portico-auth/portico/internal/identity"
	"github.com/portico-auth/portico/internal/store"
	"github.com/portico-auth/portico/internal/store/sqlstore"
	"github.com/portico-auth/portico/internal/store/sqlstore/sqlstoretest"
)

// countingStore is the real SQLite store, counting the looks at the cap (TrimFlows calls).
type countingStore struct {
	*sqlstore.Store
	looks atomic.Int64
}

func (c *countingStore) TrimFlows(ctx context.Context, kind string, identityID, keepID uuid.UUID, most, keep int) (store.Trimmed, error) {
	c.looks.Add(1)
	return c.Store.TrimFlows(ctx, kind, identityID, keepID, most, keep)
}

// TestTrimLooksAtTheCapOncePerSlack: an identity's new settings flows, one after another and
// 200 at once, never leave more than MaxFlowsPerIdentity rows, and one after another the cap
// is counted about once per trimSlack flows, not on every flow (before the budget: 200 looks).
func TestTrimLooksAtTheCapOncePerSlack(t *testing.T) {
	st := &countingStore{Store: sqlstoretest.Memory(t)}
	h := &Handler{deps: Deps{Store: st}}
	ctx := context.Background()
	ident := &identity.Identity{SchemaID: "default", Traits: json.RawMessage(`{"email":"trim@example.com"}`)}
	if err := st.CreateIdentity(ctx, ident); err != nil {
		t.Fatal(err)
	}
	rows := func() int {
		t.Helper()
		var n int
		if err := st.DB().QueryRow(`SELECT COUNT(*) FROM flows WHERE identity_id = ? AND kind = ?`, ident.ID, Kind).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	newFlow := func() error {
		id := ident.ID
		rec := &store.FlowRecord{Kind: Kind, IdentityID: &id, ExpiresAt: time.Now().Add(time.Hour), Data: []byte(`{}`)}
		if err := st.CreateFlow(ctx, rec); err != nil {
			return err
		}
		return h.trim(ctx, ident.ID, rec.ID)
	}

	const serial = 200
	for i := range serial {
		if err := newFlow(); err != nil {
			t.Fatal(err)
		}
		if n := rows(); n > MaxFlowsPerIdentity {
			t.Fatalf("after flow %d: %d rows, cap %d", i+1, n, MaxFlowsPerIdentity)
		}
	}
	// One look per trimSlack+1 flows at the cap, and up to the cap one per trimSlack.
	if looks := st.looks.Load(); looks > serial/trimSlack+1 {
		t.Errorf("%d flows one after another looked at the cap %d times, want at most %d", serial, looks, serial/trimSlack+1)
	}

	const racing = 200
	st.looks.Store(0)
	var wg sync.WaitGroup
	for range racing {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := newFlow(); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	if n := rows(); n > MaxFlowsPerIdentity {
		t.Fatalf("after %d racing flows: %d rows, cap %d", racing, n, MaxFlowsPerIdentity)
	}
	// How many of them looked depends on how the goroutines interleave: the bound is the test.
	t.Logf("%d racing flows: %d looks at the cap, %d rows left", racing, st.looks.Load(), rows())
}

// TestTrimBudgetNeverExceedsTheCount: the budget a count gives is what fits under the cap less
// every flow whose trim began since the count began, at most trimSlack; a forgotten entry
// starts over with a look, and the budget stays bounded.
func TestTrimBudgetNeverExceedsTheCount(t *testing.T) {
	var b trimBudget
	id := uuid.New()
	e, start, free := b.take(id)
	if free {
		t.Fatal("an unknown identity got a free flow")
	}
	// Three more flows begin while the first one counts: none is free yet.
	for range 3 {
		if _, _, free := b.take(id); free {
			t.Fatal("a flow was free before any count")
		}
	}
	b.counted(id, e, start, 40) // 50-40 fit, less the 3 begun since
	got := 0
	for {
		if _, _, free := b.take(id); !free {
			break
		}
		got++
	}
	if got != 7 {
		t.Errorf("40 flows counted with 3 begun since: %d free, want 7", got)
	}
	e, start, _ = b.take(id)
	b.counted(id, e, start, 1)
	got = 0
	for {
		if _, _, free := b.take(id); !free {
			break
		}
		got++
	}
	if got != trimSlack {
		t.Errorf("1 flow counted: %d free, want trimSlack (%d)", got, trimSlack)
	}
	e, start, _ = b.take(id)
	b.counted(id, e, start, MaxFlowsPerIdentity+1)
	if _, _, free := b.take(id); free {
		t.Error("a count over the cap left a free flow")
	}

	for range 3 * trimBudgetMax {
		b.take(uuid.New())
	}
	if n := len(b.m); n > trimBudgetMax {
		t.Errorf("the budget remembers %d identities, bound %d", n, trimBudgetMax)
	}
	// A count for an entry forgotten meanwhile is dropped.
	gone := uuid.New()
	e, start, _ = b.take(gone)
	delete(b.m, gone)
	b.counted(gone, e, start, 0)
	if _, _, free := b.take(gone); free {
		t.Error("a count for a forgotten entry gave a free flow")
	}
}
