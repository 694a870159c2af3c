package settings

import (
	"encoding/json"

	"github.com/google/uuid"

	"github.com/portico-auth/portico/internal/flow"
	"github.com/portico-auth/portico/internal/identity"
)

// Kind is the store kind of settings flows.
const Kind = "settings"

// ActionPath is where settings forms post to (with ?flow=<id>).
const ActionPath = "/self-service/settings"

// State is the state of a settings flow.
type State string

// The states Kratos knows.
const (
	StateShowForm State = "show_form"
	StateSuccess  State = "success"
)

// Flow is a settings flow as Kratos serialises it (settingsFlow).
type Flow struct {
	flow.Base
	// Identity is the flow's identity as shown; it is not stored with the flow but attached
	// when the flow is served (see sealed.go), so the row holds the traits only once.
	Identity     *identity.Identity `json:"identity,omitempty"`
	State        State              `json:"state"`
	Active       string             `json:"active,omitempty"`
	ContinueWith []any              `json:"continue_with,omitempty"`

	// internal is the methods' internal context (see internal.go): stored, never shown.
	internal map[string]json.RawMessage
	// secrets marks the nodes that show a secret (see secretnodes.go): they reach the
	// client, but are stored only sealed.
	secrets map[secretID]secretMark

	// lazy are stored public nodes a submission has not decoded yet (see lazynodes.go);
	// lazyReset: the messages were reset since, theirs too; ownGroup: the group the running
	// method's OwnNodes decodes.
	lazy      []lazyNode
	lazyReset bool
	ownGroup  flow.Group
}

// stored is a flow as kept in the store: the flow plus what must never reach a client.
type stored struct {
	Flow
	// owner is the identity the flow belongs to (the record's identity_id).
	owner *uuid.UUID
	// once are nodes shown once that wait for their one read (see secretnodes.go).
	once []secretNode
	// deferred are kept secret nodes not yet decoded into UI.Nodes (see decodeSubmitted);
	// deferredReset: the messages were reset since, theirs too (resetMessages).
	deferred      []secretNode
	deferredReset bool
	// shownJSON, when set, is Identity's JSON as encode attaches it to the reply (see
	// shownMemo).
	shownJSON []byte
	// bodyless: encode builds no reply body (a browser is redirected instead).
	bodyless bool
	// Pending is the id of the flow's parked change, a submission waiting for a refresh
	// login, kept sealed in a record of its own and bound to the session and browser that
	// submitted it (see continuity.go).
	Pending string `json:"portico_pending,omitempty"`
	// Internal is Flow.internal as stored.
	Internal map[string]json.RawMessage `json:"portico_internal,omitempty"`
}
