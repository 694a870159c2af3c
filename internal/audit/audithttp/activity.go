package audithttp

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/google/uuid"

	"github.com/portico-auth/portico/internal/audit"
	"github.com/portico-auth/portico/internal/flow"
	"github.com/portico-auth/portico/internal/store"
	"github.com/portico-auth/portico/internal/text"
)

// Lister reads an identity's trail (satisfied by store.Events).
type Lister interface {
	ListEvents(ctx context.Context, identityID uuid.UUID, p store.ListParams) ([]audit.Event, string, error)
}

// Activity shows a person their own recent events in the settings flow
// (audit.show_in_settings): one text node of the profile group per event, newest first, the
// first labelled "Recent activity on your account" (text.NewActivityEvent words each).
type Activity struct {
	Events Lister
	// Max is how many events are shown.
	Max int
}

// Nodes returns the nodes of identityID's Max most recent events (none when it has none):
// one read of at most Max rows.
func (a *Activity) Nodes(ctx context.Context, identityID uuid.UUID) ([]flow.Node, error) {
	evs, _, err := a.Events.ListEvents(ctx, identityID, store.ListParams{PageSize: a.Max})
	if err != nil {
		return nil, fmt.Errorf("recent activity: %w", err)
	}
	out := make([]flow.Node, 0, len(evs))
	for i, ev := range evs {
		var details map[string]any
		_ = json.Unmarshal(ev.Details, &details) // a JSON object (audit.Event.Bounded)
		var label *text.Message
		if i == 0 {
			l := text.NewRecentActivity()
			label = &l
		}
		out = append(out, flow.NewTextNode(flow.GroupProfile, fmt.Sprintf("recent_activity_%d", i),
			text.NewActivityEvent(ev.Type, details, ev.Time, ev.Address), label))
	}
	return out, nil
}
