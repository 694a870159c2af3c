package password

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strconv"

	"github.com/portico-auth/portico/internal/apierr"
	"github.com/portico-auth/portico/internal/flow"
	"github.com/portico-auth/portico/internal/flow/form"
	"github.com/portico-auth/portico/internal/flow/registration"
	"github.com/portico-auth/portico/internal/identity"
	"github.com/portico-auth/portico/internal/schema"
	"github.com/portico-auth/portico/internal/text"
)

// IdentityCreator creates identities (satisfied by *identity.Manager).
type IdentityCreator interface {
	Create(ctx context.Context, id *identity.Identity, opts identity.CreateOptions) error
}

// RegistrationMethod is the password method of the registration flow: the identity schema's
// traits plus a password.
type RegistrationMethod struct {
	Identities IdentityCreator
	Schemas    identity.Schemas
	Policy     Policy
}

var _ registration.Method = (*RegistrationMethod)(nil)

// ID implements registration.Method.
func (*RegistrationMethod) ID() string { return string(identity.CredentialsPassword) }

// Nodes implements registration.Method: one input per trait, the password and the submit.
func (m *RegistrationMethod) Nodes(_ context.Context, f *registration.Flow) error {
	for _, tf := range m.Schemas.Default().TraitFields() {
		label := text.NewLabelField(tf.Path, tf.Title)
		f.UI.Nodes.Append(flow.NewInput(flow.GroupDefault, traitInput(tf), &label))
	}
	f.UI.Nodes.Append(
		flow.NewInput(flow.GroupPassword, flow.InputAttributes{Name: "password", Type: flow.InputPassword, Required: true, Autocomplete: flow.AutocompleteNewPassword}, ptr(text.NewLabelPassword())),
		flow.NewSubmit(flow.GroupPassword, m.ID(), text.NewRegistration()),
	)
	return nil
}

// traitInput is the input a trait field is edited with.
func traitInput(tf schema.TraitField) flow.InputAttributes {
	a := flow.InputAttributes{Name: tf.Path, Type: flow.InputText, Required: tf.Required, Pattern: tf.Pattern, MaxLength: tf.MaxLength}
	switch {
	case tf.Type == "number" || tf.Type == "integer":
		a.Type = flow.InputNumber
	case tf.Type == "boolean":
		a.Type = flow.InputCheckbox
	case tf.IsEmail() && tf.Format == "email":
		a.Type = flow.InputEmail
		a.Autocomplete = flow.AutocompleteEmail
	case tf.Format == "tel":
		a.Type = flow.InputTel
	case tf.Format == "uri":
		a.Type = flow.InputURL
	case tf.Format == "date":
		a.Type = "date"
	}
	return a
}

// Register implements registration.Method.
func (m *RegistrationMethod) Register(ctx context.Context, _ *http.Request, f *registration.Flow, body form.Values) (*identity.Identity, error) {
	s := m.Schemas.Default()
	traits := body.Object("traits")
	if traits == nil {
		traits = map[string]any{}
	}
	fe := &registration.FormError{}
	values := form.Values(traits)
	for _, tf := range s.TraitFields() {
		sub := trimTraits(tf.Path)
		v := values.Get(sub)
		if v == nil {
			continue
		}
		cv, ok := coerce(tf, v)
		if !ok {
			fe.AddNode(tf.Path, text.New(text.ErrorValidationWrongType, map[string]any{"reason": "expected " + tf.Type}))
		}
		if cv == nil {
			deletePath(traits, sub)
			continue
		}
		values.Set(sub, cv)
		f.UI.Nodes.SetValue(tf.Path, cv)
	}
	raw, err := json.Marshal(traits)
	if err != nil {
		return nil, apierr.ErrBadRequest.WithCause(err)
	}
	var ve *schema.ValidationError
	if err := s.ValidateTraits(raw); errors.As(err, &ve) {
		for _, p := range ve.Problems {
			fe.AddNode(p.Path, text.New(p.MessageID, p.Context))
		}
	} else if err != nil {
		return nil, err
	}
	password := body.String("password")
	if password == "" {
		fe.AddNode("password", text.NewRequired("password"))
	} else {
		var ids []string
		if ex, err := s.Extract(raw); err == nil {
			ids = ex.PasswordIdentifiers
		}
		if msg := m.Policy.Check(password, ids); msg != nil {
			fe.AddNode("password", *msg)
		}
	}
	if len(fe.Nodes) > 0 || len(fe.Messages) > 0 {
		return nil, fe
	}
	ident := &identity.Identity{SchemaID: s.ID, Traits: raw}
	err = m.Identities.Create(ctx, ident, identity.CreateOptions{Password: password})
	switch {
	case errors.Is(err, apierr.ErrConflict):
		return nil, &registration.FormError{Messages: []text.Message{text.NewDuplicateCredentials()}}
	case errors.As(err, &ve):
		for _, p := range ve.Problems {
			fe.AddNode(p.Path, text.New(p.MessageID, p.Context))
		}
		return nil, fe
	case err != nil:
		return nil, err
	}
	return ident, nil
}

func trimTraits(path string) string {
	if len(path) > len("traits.") && path[:len("traits.")] == "traits." {
		return path[len("traits."):]
	}
	return path
}

func deletePath(m map[string]any, path string) {
	form.Values(m).Set(path, nil)
	// Set wrote a nil leaf; drop it so that optional fields stay absent.
	cur := m
	parts := splitDots(path)
	for _, p := range parts[:len(parts)-1] {
		next, ok := cur[p].(map[string]any)
		if !ok {
			return
		}
		cur = next
	}
	delete(cur, parts[len(parts)-1])
}

func splitDots(s string) []string {
	var out []string
	start := 0
	for i := 0; i < len(s); i++ {
		if s[i] == '.' {
			out = append(out, s[start:i])
			start = i + 1
		}
	}
	return append(out, s[start:])
}

// coerce turns a form's string into the JSON type the schema wants. An empty string for a
// non-string field is nil (absent); ok is false for a value that cannot be converted.
func coerce(tf schema.TraitField, v any) (any, bool) {
	s, isString := v.(string)
	if !isString {
		return v, true
	}
	switch tf.Type {
	case "number", "integer":
		if s == "" {
			return nil, true
		}
		if _, err := strconv.ParseFloat(s, 64); err != nil {
			return s, false
		}
		return json.Number(s), true
	case "boolean":
		switch s {
		case "true", "on", "1":
			return true, true
		case "", "false", "off", "0":
			return false, true
		}
		return s, false
	}
	return s, true
}
