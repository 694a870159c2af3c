package settings

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/url"
	"strings"

	"github.com/google/uuid"

	"github.com/portico-auth/portico/internal/flow"
	"github.com/portico-auth/portico/internal/identity"
	"github.com/portico-auth/portico/internal/store"
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
	Identity     *identity.Identity `json:"identity"`
	State        State              `json:"state"`
	Active       string             `json:"active,omitempty"`
	ContinueWith []any              `json:"continue_with,omitempty"`

	// internal is the methods' internal context (see internal.go): stored, never shown.
	internal map[string]json.RawMessage
}

// stored is a flow as kept in the store: the flow plus what must never reach a client.
type stored struct {
	Flow
	// Pending is a submission waiting for a privileged session, sealed with the cipher
	// secret (see pending.go).
	Pending string `json:"portico_pending,omitempty"`
	// Internal is Flow.internal as stored.
	Internal map[string]json.RawMessage `json:"portico_internal,omitempty"`
}

// publicIdentity is the identity as a flow shows it: no credentials at all, its schema_url
// on the public listener, empty address lists as [].
func publicIdentity(id *identity.Identity, public *url.URL) *identity.Identity {
	c := *id
	c.Credentials = nil
	c.MetadataAdmin = nil
	c.SchemaURL = strings.TrimSuffix(public.String(), "/") + "/schemas/" +
		base64.RawURLEncoding.EncodeToString([]byte(id.SchemaID))
	if c.VerifiableAddresses == nil {
		c.VerifiableAddresses = []identity.VerifiableAddress{}
	}
	if c.RecoveryAddresses == nil {
		c.RecoveryAddresses = []identity.RecoveryAddress{}
	}
	return &c
}

func record(s *stored, sl *sealer) (*store.FlowRecord, error) {
	rec, _, err := encode(s, sl)
	return rec, err
}

// privateFields is what a stored flow keeps in store.FlowRecord.Private.
type privateFields struct {
	Pending  string                     `json:"portico_pending,omitempty"`
	Internal map[string]json.RawMessage `json:"portico_internal,omitempty"`
}

// encode marshals the flow once and returns both the stored record and the reply body: the
// record's Data is the reply itself and its Private the fields no client may see (nil when
// there are none), so the hot paths never encode a flow twice and getSettingsFlow can send
// Data as it is stored. Private holds secrets (a parked new password, a TOTP secret or
// recovery codes not yet confirmed): it is sealed with sl, bound to the flow id, whenever a
// cipher or cookie secret is configured.
func encode(s *stored, sl *sealer) (*store.FlowRecord, []byte, error) {
	var owner *uuid.UUID
	if s.Identity != nil {
		id := s.Identity.ID
		owner = &id
	}
	public, err := json.Marshal(&s.Flow)
	if err != nil {
		return nil, nil, fmt.Errorf("encode settings flow: %w", err)
	}
	rec := flow.RecordData(Kind, &s.Base, owner, public)
	s.Internal = s.internal
	if s.Pending != "" || len(s.Internal) > 0 {
		private, err := json.Marshal(privateFields{s.Pending, s.Internal})
		if err != nil {
			return nil, nil, fmt.Errorf("encode settings flow: %w", err)
		}
		if sl.canSeal() {
			sealed, err := sl.seal(private, s.ID[:])
			if err != nil {
				return nil, nil, err
			}
			private = []byte(sealed)
		}
		rec.Private = private
	}
	return rec, public, nil
}

// decode reads a stored flow: the public document and its private fields (sealed, or plain
// JSON when no secret was configured).
func decode(rec *store.FlowRecord, sl *sealer) (*stored, error) {
	var s stored
	if err := json.Unmarshal(rec.Data, &s); err != nil {
		return nil, fmt.Errorf("decode settings flow %s: %w", rec.ID, err)
	}
	if private := rec.Private; len(private) > 0 {
		if private[0] != '{' {
			plain, err := sl.open(string(private), rec.ID[:])
			if err != nil {
				return nil, fmt.Errorf("decode settings flow %s: private fields: %w", rec.ID, err)
			}
			private = plain
		}
		var p privateFields
		if err := json.Unmarshal(private, &p); err != nil {
			return nil, fmt.Errorf("decode settings flow %s: private fields: %w", rec.ID, err)
		}
		s.Pending, s.Internal = p.Pending, p.Internal
	}
	s.internal = s.Internal
	return &s, nil
}
