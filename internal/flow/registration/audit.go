package registration

import (
	"context"
	"net/http"

	"github.com/portico-auth/portico/internal/audit"
	"github.com/portico-auth/portico/internal/identity"
)

// Audited returns ctx such that the identity method creates with it (identity.Manager.Create)
// is recorded as a sign_up event of request r in the transaction that creates it: the event is
// attached when the identity passes its last check before the write (identity.BeforeSave), so
// an attempt refused before that, or one that writes nothing, records nothing.
func (h *Handler) Audited(ctx context.Context, r *http.Request, method string) context.Context {
	if h.Audit == nil {
		return ctx
	}
	return identity.WithBeforeSave(audit.Holding(ctx), func(ctx context.Context, id *identity.Identity) error {
		h.Audit.WithFunc(ctx, r, false, func() []audit.Event {
			return []audit.Event{audit.New(audit.SignUp, id.ID, map[string]any{"method": method})}
		})
		return nil
	})
}
