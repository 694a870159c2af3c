package password

import (
	"context"
	"errors"
	"net/http"

	"github.com/portico-auth/portico/internal/flow"
	"github.com/portico-auth/portico/internal/flow/form"
	"github.com/portico-auth/portico/internal/flow/registration"
	"github.com/portico-auth/portico/internal/identity"
	"github.com/portico-auth/portico/internal/text"
)

// IdentityCreator checks passwords and creates identities (satisfied by *identity.Manager).
type IdentityCreator interface {
	CheckPassword(id *identity.Identity, password string) error
	Create(ctx context.Context, id *identity.Identity, opts identity.CreateOptions) error
}

// RegistrationMethod is the password method of the registration flow: the identity schema's
// traits plus a password.
type RegistrationMethod struct {
	Identities IdentityCreator
	Schemas    identity.Schemas
}

var _ registration.Method = (*RegistrationMethod)(nil)

// ID implements registration.Method.
func (*RegistrationMethod) ID() string { return string(identity.CredentialsPassword) }

// Nodes implements registration.Method: one input per trait, the password and the submit.
func (m *RegistrationMethod) Nodes(_ context.Context, f *registration.Flow) error {
	registration.AddTraitNodes(f, m.Schemas.Default())
	f.UI.Nodes.Append(
		flow.NewInput(flow.GroupPassword, flow.InputAttributes{Name: "password", Type: flow.InputPassword, Required: true, Autocomplete: flow.AutocompleteNewPassword}, ptr(text.NewLabelPassword())),
		flow.NewSubmit(flow.GroupPassword, m.ID(), text.NewRegistration()),
	)
	return nil
}

// Register implements registration.Method.
func (m *RegistrationMethod) Register(ctx context.Context, _ *http.Request, f *registration.Flow, body form.Values) (*identity.Identity, error) {
	s := m.Schemas.Default()
	raw, fe, err := registration.ReadTraits(s, f, body)
	if err != nil {
		return nil, err
	}
	// The password policy is the identity manager's (the one every plain-text password meets,
	// here as in settings and the admin API; Create applies it again). Asked here too, so that
	// a refused password is reported together with invalid traits.
	ident := &identity.Identity{SchemaID: s.ID, Traits: raw}
	password := body.String("password")
	if password == "" {
		fe.AddNode("password", text.NewRequired("password"))
	} else if err := m.Identities.CheckPassword(ident, password); err != nil {
		var refused *identity.PasswordRefusedError
		if !errors.As(err, &refused) {
			return nil, err
		}
		fe.AddNode("password", refused.Message)
	}
	if len(fe.Nodes) > 0 || len(fe.Messages) > 0 {
		return nil, fe
	}
	err = m.Identities.Create(ctx, ident, identity.CreateOptions{Password: password})
	var refused *identity.PasswordRefusedError
	if errors.As(err, &refused) {
		fe.AddNode("password", refused.Message)
		return nil, fe
	}
	if err := registration.Created(err, fe); err != nil {
		return nil, err
	}
	return ident, nil
}
