package flow

import (
	"errors"

	"github.com/portico-auth/portico/internal/schema"
	"github.com/portico-auth/portico/internal/text"
)

// FormError is a submission the user must correct: messages for the whole flow and for single
// nodes. A method returns it; the flow's lifecycle shows it on the flow (Lifecycle.Invalid),
// answered with 400 or sent back to the flow's UI.
type FormError struct {
	Messages []text.Message
	Nodes    map[string][]text.Message
}

// NewFormError is a FormError with messages for the whole flow.
func NewFormError(msg ...text.Message) *FormError { return &FormError{Messages: msg} }

func (e *FormError) Error() string {
	if len(e.Messages) > 0 {
		return "flow: " + e.Messages[0].Text
	}
	return "flow: invalid submission"
}

// AddNode adds a message to the node named name.
func (e *FormError) AddNode(name string, m text.Message) {
	if e.Nodes == nil {
		e.Nodes = map[string][]text.Message{}
	}
	e.Nodes[name] = append(e.Nodes[name], m)
}

// AddProblems puts the schema's complaints on the trait nodes they concern.
func (e *FormError) AddProblems(ve *schema.ValidationError) {
	for _, p := range ve.Problems {
		e.AddNode(p.Path, text.New(p.MessageID, p.Context))
	}
}

// AsFormError returns the *FormError in err's chain.
func AsFormError(err error) (*FormError, bool) {
	var fe *FormError
	ok := errors.As(err, &fe)
	return fe, ok
}
