package recovery

import (
	"github.com/portico-auth/portico/internal/flow"
	"github.com/portico-auth/portico/internal/onetime"
)

// Kind is the store kind of recovery flows.
const Kind = "recovery"

// States of a recovery flow.
const (
	StateChooseMethod    = onetime.StateChooseMethod
	StateSentEmail       = onetime.StateSentEmail
	StatePassedChallenge = onetime.StatePassedChallenge
)

// Authentication methods a recovery records on the session it issues (Kratos's names).
const (
	AMRCode = "code_recovery"
	AMRLink = "link_recovery"
)

// Flow is a recovery flow as Kratos serialises it.
type Flow struct {
	onetime.Challenge
	ContinueWith []flow.ContinueWith `json:"continue_with,omitempty"`
}
