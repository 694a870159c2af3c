package recovery

import (
	"github.com/portico-auth/portico/internal/flow"
)

// Kind is the store kind of recovery flows.
const Kind = "recovery"

// States of a recovery flow.
const (
	StateChooseMethod    = "choose_method"
	StateSentEmail       = "sent_email"
	StatePassedChallenge = "passed_challenge"
)

// Authentication methods a recovery records on the session it issues (Kratos's names).
const (
	AMRCode = "code_recovery"
	AMRLink = "link_recovery"
)

// Flow is a recovery flow as Kratos serialises it.
type Flow struct {
	flow.Base
	Active           string              `json:"active,omitempty"`
	State            string              `json:"state"`
	ContinueWith     []flow.ContinueWith `json:"continue_with,omitempty"`
	TransientPayload map[string]any      `json:"transient_payload,omitempty"`
}
