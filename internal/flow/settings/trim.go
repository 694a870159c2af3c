package settings

import (
	"context"
	"fmt"
	"sync"

	"github.com/google/uuid"
)

// MaxFlowsPerIdentity is how many settings flows (live or kept after expiry) one identity
// may have stored at once.
const MaxFlowsPerIdentity = 50

// trimSlack is how many flows below the cap a trim leaves room for, and the most flows of
// one identity this process creates between two looks at the cap.
const trimSlack = 16

// trimBudgetMax bounds the identities a trimBudget remembers (about 64 bytes each); one it
// forgot looks at the cap on its next flow.
const trimBudgetMax = 1024

// trim keeps the settings flows of an identity under the cap, flow keep among them: every new
// flow calls it once, after the flow is stored.
//
// Each flow row holds the traits (up to identity.traits_max_bytes): an identity keeps at most
// MaxFlowsPerIdentity settings flows, the least recently written going first (a refusal would
// lock the owner out of their own settings until flows expire; the flows written last are
// the ones in use). Past the cap the store trims down to MaxFlowsPerIdentity-trimSlack, so an
// identity at the cap pays the delete once per trimSlack new flows, not on each. Looking at
// the cap is a count of up to MaxFlowsPerIdentity+1 index entries, which was 8% of a new flow's
// CPU: the count says how many more flows fit, so the next ones (trimSlack at most) skip it.
// One process serving a database keeps the cap exactly; n processes sharing one may pass it
// by up to (n-1)×trimSlack flows between two looks, still a bound per identity.
func (h *Handler) trim(ctx context.Context, identityID, keep uuid.UUID) error {
	e, start, free := h.trims.take(identityID)
	if free {
		return nil
	}
	t, err := h.deps.Store.TrimFlows(ctx, Kind, identityID, keep, MaxFlowsPerIdentity, MaxFlowsPerIdentity-trimSlack)
	if err != nil {
		return fmt.Errorf("trim settings flows: %w", err)
	}
	h.trims.counted(identityID, e, start, t.Left)
	return nil
}

// trimBudget remembers, per identity, how many more settings flows this process may store
// before it looks at the cap again.
type trimBudget struct {
	mu sync.Mutex
	m  map[uuid.UUID]*trimEntry
}

type trimEntry struct {
	// made counts the new flows of the identity whose trim began since the entry was made.
	made uint64
	// free is how many of the next new flows fit under the cap without a look.
	free int
}

// take accounts for one new (already stored) flow of id: free when it fits in the budget;
// otherwise the caller counts, and hands e and start back to counted.
func (b *trimBudget) take(id uuid.UUID) (e *trimEntry, start uint64, free bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	e = b.m[id]
	if e == nil {
		if b.m == nil {
			b.m = map[uuid.UUID]*trimEntry{}
		}
		if len(b.m) >= trimBudgetMax {
			for k := range b.m { // any one: a forgotten identity only counts again
				delete(b.m, k)
				break
			}
		}
		e = &trimEntry{}
		b.m[id] = e
	}
	e.made++
	if e.free > 0 {
		e.free--
		return e, 0, true
	}
	return e, e.made, false
}

// counted records a count of left flows taken by a trim that began as e's start-th flow. The
// flows whose trim began since then may or may not be in the count; all are taken off what
// still fits, so the budget never exceeds what the count allows.
func (b *trimBudget) counted(id uuid.UUID, e *trimEntry, start uint64, left int) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.m[id] != e {
		return // forgotten meanwhile: its made count is gone
	}
	fit := MaxFlowsPerIdentity - left - int(e.made-start)
	e.free = max(0, min(fit, trimSlack))
}
