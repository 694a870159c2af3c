package settings

import (
	"encoding/json"
	"fmt"

	"github.com/google/uuid"

	"github.com/portico-auth/portico/internal/store"
)

// A settings flow is stored in two parts. Data, the public document, is the flow as Kratos
// shows it minus two things: its identity (attached from the session when the flow is served,
// as Kratos loads it afresh, so a flow row holds the traits once, in the profile nodes) and
// the nodes that show a secret (see secretnodes.go). Private holds everything no client may
// read from the store (a parked submission, the methods' internal context, the secret nodes),
// sealed with sl and bound to the flow id whenever a cipher or cookie secret is configured.

// privateFields is what a stored flow keeps in store.FlowRecord.Private.
type privateFields struct {
	Pending  string                     `json:"portico_pending,omitempty"`
	Internal map[string]json.RawMessage `json:"portico_internal,omitempty"`
	Secrets  []secretNode               `json:"portico_secret_nodes,omitempty"`
}

func record(s *stored, sl *sealer) (*store.FlowRecord, error) {
	rec, _, err := encode(s, sl)
	return rec, err
}

// encode returns the flow's store record and its reply body. The flow is marshalled once
// for both when it shows no secret (the reply is the stored document with the identity
// attached), twice when it does.
func encode(s *stored, sl *sealer) (*store.FlowRecord, []byte, error) {
	owner := s.owner
	if s.Identity != nil {
		id := s.Identity.ID
		owner = &id
	}
	public, secret, err := s.splitSecrets()
	if err != nil {
		return nil, nil, err
	}
	ident, nodes := s.Identity, s.UI.Nodes
	s.Identity, s.UI.Nodes = nil, public
	data, err := json.Marshal(&s.Flow)
	s.Identity, s.UI.Nodes = ident, nodes
	if err != nil {
		return nil, nil, fmt.Errorf("encode settings flow: %w", err)
	}
	kept := 0
	for _, sn := range secret {
		if !sn.Once {
			kept++
		}
	}
	var body []byte
	if len(public)+kept == len(nodes) {
		// Every node is in data or kept in secret: the reply is assembled, not encoded again.
		full, err := fillNodes(data, secret)
		if err == nil {
			body, err = withIdentity(full, ident)
		}
		if err != nil {
			return nil, nil, err
		}
	} else if body, err = json.Marshal(&s.Flow); err != nil {
		return nil, nil, fmt.Errorf("encode settings flow: %w", err)
	}
	rec := &store.FlowRecord{ID: s.ID, Kind: Kind, IdentityID: owner, ExpiresAt: s.ExpiresAt, Data: data}
	s.Internal = s.internal
	if s.Pending != "" || len(s.Internal) > 0 || len(secret) > 0 {
		private, err := json.Marshal(privateFields{s.Pending, s.Internal, secret})
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
	return rec, body, nil
}

// decode reads a stored flow: the public document and its private fields (sealed, or plain
// JSON when no secret was configured), with its secret nodes back in place. The identity is
// not stored: owns attaches the reading session's.
func decode(rec *store.FlowRecord, sl *sealer) (*stored, error) {
	var s stored
	if err := json.Unmarshal(rec.Data, &s); err != nil {
		return nil, fmt.Errorf("decode settings flow %s: %w", rec.ID, err)
	}
	s.owner = rec.IdentityID
	s.Identity = nil
	p, err := openPrivate(rec, sl)
	if err != nil {
		return nil, err
	}
	s.Pending, s.Internal = p.Pending, p.Internal
	if err := s.restoreSecrets(p.Secrets); err != nil {
		return nil, fmt.Errorf("decode settings flow %s: %w", rec.ID, err)
	}
	s.internal = s.Internal
	return &s, nil
}

// openPrivate reads a record's private fields (sealed, or plain JSON when no secret was
// configured); none without a Private column.
func openPrivate(rec *store.FlowRecord, sl *sealer) (*privateFields, error) {
	var p privateFields
	private := rec.Private
	if len(private) == 0 {
		return &p, nil
	}
	if private[0] != '{' {
		plain, err := sl.open(string(private), rec.ID[:])
		if err != nil {
			return nil, fmt.Errorf("decode settings flow %s: private fields: %w", rec.ID, err)
		}
		private = plain
	}
	if err := json.Unmarshal(private, &p); err != nil {
		return nil, fmt.Errorf("decode settings flow %s: private fields: %w", rec.ID, err)
	}
	return &p, nil
}

// ownedBy reports whether the flow belongs to identity id.
func (s *stored) ownedBy(id uuid.UUID) bool { return s.owner != nil && *s.owner == id }

// withIdentity is the stored document doc (a JSON object) with the identity attached as its
// last member: the reply, without decoding and encoding the whole flow again.
func withIdentity(doc []byte, ident any) ([]byte, error) {
	id, err := json.Marshal(ident)
	if err != nil {
		return nil, fmt.Errorf("encode settings flow identity: %w", err)
	}
	if len(doc) < 2 || doc[len(doc)-1] != '}' {
		return nil, fmt.Errorf("encode settings flow: stored document is not an object")
	}
	out := make([]byte, 0, len(doc)+len(id)+len(`,"identity":`))
	out = append(out, doc[:len(doc)-1]...)
	if len(doc) > 2 {
		out = append(out, ',')
	}
	out = append(out, `"identity":`...)
	out = append(out, id...)
	return append(out, '}'), nil
}
