package profile

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/portico-auth/portico/internal/flow"
	"github.com/portico-auth/portico/internal/flow/settings"
	"github.com/portico-auth/portico/internal/identity"
	"github.com/portico-auth/portico/internal/schema"
	"github.com/portico-auth/portico/internal/text"
)

// Schemas finds identity schemas (satisfied by *schema.Registry).
type Schemas interface {
	Get(id string) (*schema.Schema, error)
	Default() *schema.Schema
}

// Method is the profile settings method.
type Method struct {
	schemas Schemas
}

// New returns the profile method. Changes are stored through the submission
// (settings.Submission.Save).
func New(schemas Schemas) *Method {
	return &Method{schemas: schemas}
}

// ID implements settings.Method.
func (m *Method) ID() string { return string(flow.GroupProfile) }

func (m *Method) schemaOf(ident *identity.Identity) (*schema.Schema, error) {
	if ident.SchemaID == "" {
		return m.schemas.Default(), nil
	}
	s, err := m.schemas.Get(ident.SchemaID)
	if err != nil {
		return nil, fmt.Errorf("identity schema %q: %w", ident.SchemaID, err)
	}
	return s, nil
}

// Nodes implements settings.Method: one input per trait with its current value, then the
// profile submit button.
func (m *Method) Nodes(_ context.Context, f *settings.Flow, ident *identity.Identity) error {
	s, err := m.schemaOf(ident)
	if err != nil {
		return err
	}
	var traits map[string]any
	if len(ident.Traits) > 0 {
		if err := json.Unmarshal(ident.Traits, &traits); err != nil {
			return fmt.Errorf("decode traits: %w", err)
		}
	}
	for _, fld := range s.TraitFields() {
		f.UI.Nodes.Append(flow.TraitInput(flow.GroupProfile, fld, valueAt(traits, fld.Path)))
	}
	f.UI.Nodes.Append(flow.NewSubmit(flow.GroupProfile, m.ID(), text.NewLabelSave()))
	return nil
}

// valueAt returns the value at a "traits.a.b" path, or nil.
func valueAt(traits map[string]any, path string) any {
	var cur any = traits
	for _, seg := range strings.Split(strings.TrimPrefix(path, "traits."), ".") {
		m, ok := cur.(map[string]any)
		if !ok {
			return nil
		}
		cur = m[seg]
	}
	return cur
}
