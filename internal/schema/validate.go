package schema

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"github.com/santhosh-tekuri/jsonschema/v6/kind"
	"golang.org/x/text/language"
	"golang.org/x/text/message"

	"github.com/portico-auth/portico/internal/apierr"
)

// Kratos's message ids for trait validation problems.
const (
	MessageGeneric      = 4000001 // "{reason}"
	MessageRequired     = 4000002 // "Property {property} is missing."
	MessageMinLength    = 4000003 // "length must be >= {min_length}, but got {actual_length}"
	MessageMaxLength    = 4000017 // "length must be <= {max_length}, but got {actual_length}"
	MessageInvalidEmail = 4000040 // an e-mail address that is not one
)

// Problem is one way traits break the schema.
type Problem struct {
	// Path is the dot path of the offending value ("traits.email"), "" for the document root.
	Path      string
	Message   string
	MessageID int
	Context   map[string]any
}

// ValidationError lists every problem found. errors.Is(err, apierr.ErrBadRequest) holds,
// and apierr.From(err) yields a 400 whose reason names the failing paths.
type ValidationError struct {
	Problems []Problem
	api      *apierr.Error
}

func (e *ValidationError) Error() string { return e.api.Error() }

// Unwrap returns the 400 error the problems amount to.
func (e *ValidationError) Unwrap() error { return e.api }

func newValidationError(problems []Problem) *ValidationError {
	parts := make([]string, 0, len(problems))
	for _, p := range problems {
		if p.Path != "" {
			parts = append(parts, p.Path+": "+p.Message)
		} else {
			parts = append(parts, p.Message)
		}
	}
	api := apierr.ErrBadRequest.WithReason("The identity traits do not match the identity schema: %s", strings.Join(parts, "; "))
	details := make([]map[string]any, 0, len(problems))
	for _, p := range problems {
		details = append(details, map[string]any{"path": p.Path, "message": p.Message, "id": p.MessageID})
	}
	api = api.WithDetail("problems", details)
	return &ValidationError{Problems: problems, api: api}
}

var printer = message.NewPrinter(language.English)

// ValidateTraits validates {"traits": traits} against the schema.
func (s *Schema) ValidateTraits(traits json.RawMessage) error {
	if len(bytes.TrimSpace(traits)) == 0 {
		traits = json.RawMessage("{}")
	}
	// Checked first: an oversized document is neither parsed nor shown back on a form.
	if err := CheckSize("traits", traits, s.maxTraits); err != nil {
		return err
	}
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(traits))
	if err != nil {
		return apierr.ErrBadRequest.WithReason("The traits are not valid JSON.").WithCause(fmt.Errorf("decode traits: %w", err))
	}
	err = s.compiled.Validate(map[string]any{"traits": doc})
	if err == nil {
		return nil
	}
	var ve *jsonschema.ValidationError
	if !errors.As(err, &ve) {
		return apierr.ErrBadRequest.WithReason("The traits could not be validated: %s", err).WithCause(err)
	}
	var problems []Problem
	collectProblems(ve, &problems)
	if len(problems) == 0 {
		problems = append(problems, Problem{Message: ve.Error(), MessageID: MessageGeneric, Context: map[string]any{"reason": ve.Error()}})
	}
	sort.SliceStable(problems, func(i, j int) bool { return problems[i].Path < problems[j].Path })
	return newValidationError(problems)
}

func collectProblems(e *jsonschema.ValidationError, out *[]Problem) {
	if len(e.Causes) > 0 {
		for _, c := range e.Causes {
			collectProblems(c, out)
		}
		return
	}
	path := strings.Join(e.InstanceLocation, ".")
	switch k := e.ErrorKind.(type) {
	case *kind.Required:
		for _, m := range k.Missing {
			p := m
			if path != "" {
				p = path + "." + m
			}
			*out = append(*out, Problem{
				Path: p, MessageID: MessageRequired,
				Message: fmt.Sprintf("Property %s is missing.", m),
				Context: map[string]any{"property": m},
			})
		}
	case *kind.MinLength:
		*out = append(*out, Problem{
			Path: path, MessageID: MessageMinLength,
			Message: fmt.Sprintf("length must be >= %d, but got %d", k.Want, k.Got),
			Context: map[string]any{"min_length": k.Want, "actual_length": k.Got},
		})
	case *kind.MaxLength:
		*out = append(*out, Problem{
			Path: path, MessageID: MessageMaxLength,
			Message: fmt.Sprintf("length must be <= %d, but got %d", k.Want, k.Got),
			Context: map[string]any{"max_length": k.Want, "actual_length": k.Got},
		})
	case *kind.Format:
		if k.Want == "email" {
			*out = append(*out, Problem{
				Path: path, MessageID: MessageInvalidEmail,
				Message: fmt.Sprintf("%q is not valid %q", fmt.Sprint(k.Got), "email"),
				Context: map[string]any{"value": k.Got},
			})
			return
		}
		appendGeneric(e, path, out)
	default:
		appendGeneric(e, path, out)
	}
}

func appendGeneric(e *jsonschema.ValidationError, path string, out *[]Problem) {
	{
		reason := e.ErrorKind.LocalizedString(printer)
		*out = append(*out, Problem{
			Path: path, MessageID: MessageGeneric, Message: reason,
			Context: map[string]any{"reason": reason},
		})
	}
}
