package store

import (
	"context"
	"time"

	"github.com/google/uuid"

	"github.com/portico-auth/portico/internal/audit"
)

// Events keeps the audit trail (internal/audit).
//
// Besides RecordEvents, every write of the other interfaces made with a context carrying
// events (audit.With) stores them in its own transaction, and only when it commits: a write
// that fails, conflicts or finds nothing to change stores none, and once stored they are
// taken off the context (audit.Written). The session revokers and DeleteIdentity, single
// statements otherwise, run in a transaction when the context carries events; a revoker that
// revoked nothing stores none.
type Events interface {
	// RecordEvents stores events that go with no write of their own (a sign-in, a failed
	// attempt), each audit.Event.Bounded at the store's clock, in one statement each.
	RecordEvents(ctx context.Context, evs ...audit.Event) error
	// ListEvents returns a page of the events of identityID, newest first, and the next
	// page's token ("" = last page). A malformed token is an ErrBadRequest.
	ListEvents(ctx context.Context, identityID uuid.UUID, p ListParams) ([]audit.Event, string, error)
	// DeleteEventsBefore deletes at most limit events that happened before t.
	DeleteEventsBefore(ctx context.Context, t time.Time, limit int) (int, error)
}
