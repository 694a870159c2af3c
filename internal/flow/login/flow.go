package login

import (
	"github.com/portico-auth/portico/internal/flow"
	"github.com/portico-auth/portico/internal/session"
)

// StateChooseMethod is the state of a login flow waiting for a submission.
const StateChooseMethod = "choose_method"

// Kind is the store kind of login flows.
const Kind = "login"

// Flow is a login flow exactly as Kratos serialises it.
type Flow struct {
	flow.Base
	Refresh      bool        `json:"refresh"`
	RequestedAAL session.AAL `json:"requested_aal"`
	State        string      `json:"state"`
}
