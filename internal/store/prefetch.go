package store

import (
	"context"

	"github.com/google/uuid"
)

// FlowPrefetch asks the next session read by token (Sessions.GetSessionByToken) made with a
// context carrying it to read one flow too, in the same round trip when the store can: a
// flow read (getSettingsFlow) needs the session first and the flow right after, and on a
// database server each statement is a round trip. A store that does not prefetch leaves it
// untouched; the caller then reads the flow itself (GetFlow), so the prefetch never changes
// what a request sees, only how many statements it takes.
type FlowPrefetch struct {
	// Kind and ID name the flow, as GetFlow takes them.
	Kind string
	ID   uuid.UUID
	// Done is set by the store once it has read the flow with a session: Record is then the
	// flow, or nil when there is no such flow (GetFlow's not found). A session read that
	// finds no session leaves Done false.
	Done   bool
	Record *FlowRecord
	// taken is set once Take has handed Record out.
	taken bool
}

type flowPrefetchKey struct{}

// WithFlowPrefetch returns ctx carrying p for the next session read by token.
func WithFlowPrefetch(ctx context.Context, p *FlowPrefetch) context.Context {
	return context.WithValue(ctx, flowPrefetchKey{}, p)
}

// FlowPrefetchFrom returns the prefetch ctx carries that no session read has served yet, or nil.
func FlowPrefetchFrom(ctx context.Context) *FlowPrefetch {
	p, _ := ctx.Value(flowPrefetchKey{}).(*FlowPrefetch)
	if p == nil || p.Done {
		return nil
	}
	return p
}

// TakePrefetchedFlow returns the flow a session read made with ctx read for kind and id (nil
// when there is no such flow) and true, once: a later call, a prefetch not served, or one for
// another flow gives false, and the caller reads the flow itself. Handing it out once keeps a
// request that reads its flow again after changing it from seeing the record from before.
func TakePrefetchedFlow(ctx context.Context, kind string, id uuid.UUID) (*FlowRecord, bool) {
	p, _ := ctx.Value(flowPrefetchKey{}).(*FlowPrefetch)
	if p == nil || !p.Done || p.taken || p.Kind != kind || p.ID != id {
		return nil, false
	}
	p.taken = true
	return p.Record, true
}
