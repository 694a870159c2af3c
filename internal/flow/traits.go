package flow

import (
	"github.com/portico-auth/portico/internal/schema"
	"github.com/portico-auth/portico/internal/text"
)

// TraitInput is the input node that edits the identity trait tf in group g, showing value
// (nil: none), labelled with the trait's title (1070002): the one shape registration and
// settings forms share.
func TraitInput(g Group, tf schema.TraitField, value any) Node {
	attrs := InputAttributes{
		Name:      tf.Path,
		Type:      traitInputType(tf),
		Value:     value,
		Required:  tf.Required,
		Pattern:   tf.Pattern,
		MaxLength: tf.MaxLength,
	}
	if tf.IsEmail() {
		attrs.Autocomplete = AutocompleteEmail
	}
	label := text.NewLabelField(tf.Path, tf.Title)
	return NewInput(g, attrs, &label)
}

// traitInputType picks the HTML input type for a trait from its JSON Schema type and format.
func traitInputType(tf schema.TraitField) string {
	switch tf.Type {
	case "number", "integer":
		return InputNumber
	case "boolean":
		return InputCheckbox
	}
	switch tf.Format {
	case "email":
		return InputEmail
	case "tel":
		return InputTel
	case "uri", "url":
		return InputURL
	case "date":
		return "date"
	case "date-time":
		return "datetime-local"
	}
	return InputText
}
