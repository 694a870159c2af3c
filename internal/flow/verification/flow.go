package verification

import (
	"github.com/portico-auth/portico/internal/onetime"
)

// Kind is the store kind of verification flows.
const Kind = "verification"

// States of a verification flow.
const (
	StateChooseMethod    = onetime.StateChooseMethod
	StateSentEmail       = onetime.StateSentEmail
	StatePassedChallenge = onetime.StatePassedChallenge
)

// Flow is a verification flow as Kratos serialises it.
type Flow struct {
	onetime.Challenge
}
