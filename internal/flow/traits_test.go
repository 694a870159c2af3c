package flow

import (
	"testing"

	"github.com/portico-auth/portico/internal/schema"
)

func TestTraitInput(t *testing.T) {
	cases := []struct {
		fld          schema.TraitField
		wantType     string
		autocomplete string
	}{
		{schema.TraitField{Type: "string", Format: "email"}, "email", AutocompleteEmail},
		{schema.TraitField{Type: "string", VerificationVia: "email"}, "text", AutocompleteEmail},
		{schema.TraitField{Type: "string"}, "text", ""},
		{schema.TraitField{Type: "string", Format: "tel"}, "tel", ""},
		{schema.TraitField{Type: "string", Format: "uri"}, "url", ""},
		{schema.TraitField{Type: "string", Format: "date"}, "date", ""},
		{schema.TraitField{Type: "string", Format: "date-time"}, "datetime-local", ""},
		{schema.TraitField{Type: "integer"}, "number", ""},
		{schema.TraitField{Type: "number"}, "number", ""},
		{schema.TraitField{Type: "boolean"}, "checkbox", ""},
	}
	for _, tc := range cases {
		tc.fld.Path, tc.fld.Title = "traits.x", "X"
		n := TraitInput(GroupProfile, tc.fld, "v")
		in := n.Input()
		if in.Type != tc.wantType || in.Autocomplete != tc.autocomplete || in.Name != "traits.x" || in.Value != "v" {
			t.Errorf("%+v: %+v", tc.fld, in)
		}
		if n.Group != GroupProfile || n.Meta.Label == nil || n.Meta.Label.ID != 1070002 || n.Meta.Label.Text != "X" {
			t.Errorf("%+v: node %+v", tc.fld, n)
		}
	}
}
