package registration

import (
	"encoding/json"
	"errors"
	"strings"

	"github.com/portico-auth/portico/internal/apierr"
	"github.com/portico-auth/portico/internal/flow"
	"github.com/portico-auth/portico/internal/flow/form"
	"github.com/portico-auth/portico/internal/schema"
	"github.com/portico-auth/portico/internal/text"
)

// AddTraitNodes appends one input per trait of s (group default), unless another method of
// the flow already added it: every sign-up method asks for the same traits.
func AddTraitNodes(f *Flow, s *schema.Schema) {
	for _, tf := range s.TraitFields() {
		if f.UI.Nodes.Find(tf.Path) == nil {
			f.UI.Nodes.Append(flow.TraitInput(flow.GroupDefault, tf, nil))
		}
	}
}

// Created turns the error of creating a sign-up's identity into what the person sees: a
// duplicate identifier or address (4000007) or the schema's problems, added to fe; nil stays
// nil, and any other error is returned as it is.
func Created(err error, fe *flow.FormError) error {
	var ve *schema.ValidationError
	switch {
	case err == nil:
		return nil
	case errors.Is(err, apierr.ErrConflict):
		return &flow.FormError{Messages: []text.Message{text.NewDuplicateCredentials()}}
	case errors.As(err, &ve):
		fe.AddProblems(ve)
		return fe
	}
	return err
}

// ReadTraits reads the submitted traits (form strings converted to the schema's types), shows
// them again on the flow's nodes, and validates them against s. Problems the user must
// correct are in the returned FormError (never nil); other errors are returned as err.
func ReadTraits(s *schema.Schema, f *Flow, body form.Values) (json.RawMessage, *flow.FormError, error) {
	fe := &flow.FormError{}
	traits := body.Object("traits")
	if traits == nil {
		traits = map[string]any{}
	}
	s.CoerceForm(traits)
	values := form.Values(traits)
	for _, tf := range s.TraitFields() {
		if v := values.Get(strings.TrimPrefix(tf.Path, "traits.")); v != nil {
			f.UI.Nodes.SetValue(tf.Path, v)
		}
	}
	raw, err := json.Marshal(traits)
	if err != nil {
		return nil, nil, apierr.ErrBadRequest.WithCause(err)
	}
	var ve *schema.ValidationError
	if err := s.ValidateTraits(raw); errors.As(err, &ve) {
		fe.AddProblems(ve)
	} else if err != nil {
		return nil, nil, err
	}
	return raw, fe, nil
}
