package password

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/portico-auth/portico/internal/flow"
	"github.com/portico-auth/portico/internal/flow/settings"
	"github.com/portico-auth/portico/internal/hash"
	"github.com/portico-auth/portico/internal/identity"
	"github.com/portico-auth/portico/internal/schema"
	"github.com/portico-auth/portico/internal/text"
)

// SettingsIdentities replaces and stores an identity's password (satisfied by
// *identity.Manager).
type SettingsIdentities interface {
	SetPassword(ctx context.Context, id *identity.Identity, password, hashedPassword string) error
	Update(ctx context.Context, id *identity.Identity) error
}

// SettingsComparer checks a password against a stored hash (satisfied by *hash.Hasher).
type SettingsComparer interface {
	Compare(ctx context.Context, password []byte, hashed string) error
}

// SettingsSchemas finds identity schemas (satisfied by *schema.Registry).
type SettingsSchemas interface {
	Get(id string) (*schema.Schema, error)
	Default() *schema.Schema
}

// SettingsMethod is the password method of the settings flow.
type SettingsMethod struct {
	identities SettingsIdentities
	hasher     SettingsComparer
	schemas    SettingsSchemas
	policy     Policy
}

var _ settings.Method = (*SettingsMethod)(nil)

// NewSettings returns the password settings method enforcing policy.
func NewSettings(identities SettingsIdentities, hasher SettingsComparer, schemas SettingsSchemas, policy Policy) *SettingsMethod {
	return &SettingsMethod{identities: identities, hasher: hasher, schemas: schemas, policy: policy}
}

// ID implements settings.Method.
func (*SettingsMethod) ID() string { return string(identity.CredentialsPassword) }

// Nodes implements settings.Method: the new-password input and the password submit button.
func (m *SettingsMethod) Nodes(_ context.Context, f *settings.Flow, _ *identity.Identity) error {
	label := text.NewLabelPassword()
	f.UI.Nodes.Append(
		flow.NewInput(flow.GroupPassword, flow.InputAttributes{
			Name: "password", Type: flow.InputPassword, Required: true,
			Autocomplete: flow.AutocompleteNewPassword,
		}, &label),
		flow.NewSubmit(flow.GroupPassword, m.ID(), text.NewLabelSave()),
	)
	return nil
}

// Update implements settings.Method: a privileged session, then the policy (length, identifier
// similarity, commonly used passwords, not the current password), then the new hash replaces
// the old one in one store transaction.
func (m *SettingsMethod) Update(ctx context.Context, f *settings.Flow, sub *settings.Submission) error {
	pw := sub.Body.String("password")
	refuse := func(msg text.Message) error {
		if !f.UI.Nodes.AddMessage("password", msg) {
			f.UI.AddMessage(msg)
		}
		return settings.ErrInvalid
	}
	if pw == "" {
		return refuse(text.NewRequired("password"))
	}
	if err := sub.RequirePrivileged(); err != nil {
		return err
	}
	ids, err := m.identifiers(sub.Identity)
	if err != nil {
		return err
	}
	if msg := m.policy.Check(pw, ids); msg != nil {
		return refuse(*msg)
	}
	if IsCommon(pw) {
		return refuse(text.NewPasswordBreached())
	}
	if c, ok := sub.Identity.Credentials[identity.CredentialsPassword]; ok && len(c.Config) > 0 {
		var cfg identity.PasswordConfig
		if err := json.Unmarshal(c.Config, &cfg); err == nil && cfg.HashedPassword != "" {
			err := m.hasher.Compare(ctx, []byte(pw), cfg.HashedPassword)
			if err == nil {
				return refuse(text.NewPasswordSameAsOld())
			}
			if !errors.Is(err, hash.ErrMismatch) {
				return fmt.Errorf("compare with the current password: %w", err)
			}
		}
	}
	if err := m.identities.SetPassword(ctx, sub.Identity, pw, ""); err != nil {
		return fmt.Errorf("set password: %w", err)
	}
	if err := sub.Save(ctx, sub.Identity); err != nil {
		return fmt.Errorf("store password: %w", err)
	}
	return nil
}

// identifiers are the identity's login identifiers, for the similarity check.
func (m *SettingsMethod) identifiers(ident *identity.Identity) ([]string, error) {
	s := m.schemas.Default()
	if ident.SchemaID != "" {
		var err error
		if s, err = m.schemas.Get(ident.SchemaID); err != nil {
			return nil, fmt.Errorf("identity schema %q: %w", ident.SchemaID, err)
		}
	}
	ex, err := s.Extract(ident.Traits)
	if err != nil {
		return nil, err
	}
	ids := append([]string{}, ex.PasswordIdentifiers...)
	for _, c := range ex.CodeIdentifiers {
		ids = append(ids, c.Value)
	}
	return ids, nil
}
