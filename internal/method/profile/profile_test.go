package profile

import (
	"reflect"
	"testing"

	"github.com/portico-auth/portico/internal/schema"
)

func TestInputType(t *testing.T) {
	cases := []struct {
		fld  schema.TraitField
		want string
	}{
		{schema.TraitField{Type: "string", Format: "email"}, "email"},
		{schema.TraitField{Type: "string"}, "text"},
		{schema.TraitField{Type: "string", Format: "tel"}, "tel"},
		{schema.TraitField{Type: "string", Format: "uri"}, "url"},
		{schema.TraitField{Type: "string", Format: "date"}, "date"},
		{schema.TraitField{Type: "integer"}, "number"},
		{schema.TraitField{Type: "number"}, "number"},
		{schema.TraitField{Type: "boolean"}, "checkbox"},
	}
	for _, tc := range cases {
		if got := inputType(tc.fld); got != tc.want {
			t.Errorf("%+v: %q, want %q", tc.fld, got, tc.want)
		}
	}
}

func TestCoerceFormValues(t *testing.T) {
	fields := []schema.TraitField{
		{Path: "traits.age", Type: "integer"},
		{Path: "traits.score", Type: "number"},
		{Path: "traits.news", Type: "boolean"},
		{Path: "traits.name.last", Type: "string"},
		{Path: "traits.email", Type: "string", Required: true},
		{Path: "traits.tags", Type: "array"},
	}
	traits := map[string]any{
		"age": "42", "score": "1.5", "news": "true", "email": "",
		"name": map[string]any{"last": ""}, "tags": "a",
	}
	coerce(traits, fields)
	want := map[string]any{
		"age": int64(42), "score": 1.5, "news": true, "email": "",
		"name": map[string]any{}, "tags": []any{"a"},
	}
	if !reflect.DeepEqual(traits, want) {
		t.Errorf("got %#v\nwant %#v", traits, want)
	}
}

func TestValueAt(t *testing.T) {
	traits := map[string]any{"name": map[string]any{"first": "Ada"}, "email": "a@example.com"}
	for path, want := range map[string]any{
		"traits.name.first": "Ada", "traits.email": "a@example.com", "traits.name.last": nil, "traits.email.x": nil,
	} {
		if got := valueAt(traits, path); got != want {
			t.Errorf("%s: %v, want %v", path, got, want)
		}
	}
}
