package verification

import (
	"github.com/portico-auth/portico/internal/flow"
)

// Kind is the store kind of verification flows.
const Kind = "verification"

// States of a verification flow.
const (
	StateChooseMethod    = "choose_method"
	StateSentEmail       = "sent_email"
	StatePassedChallenge = "passed_challenge"
)

// Flow is a verification flow as Kratos serialises it.
type Flow struct {
	flow.Base
	// Active is the method in use once an address was submitted.
	Active           string         `json:"active,omitempty"`
	State            string         `json:"state"`
	TransientPayload map[string]any `json:"transient_payload,omitempty"`
}
