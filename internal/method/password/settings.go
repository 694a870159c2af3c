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
	"github.com/portico-auth/portico/internal/text"
)

// SettingsIdentities replaces and stores an identity's password (satisfied by
// *identity.Manager).
type SettingsIdentities interface {
	CheckPassword(id *identity.Identity, password string) error
	SetPassword(ctx context.Context, id *identity.Identity, password, hashedPassword string) error
	Update(ctx context.Context, id *identity.Identity) error
}

// SettingsComparer checks a password against a stored hash (satisfied by *hash.Hasher).
type SettingsComparer interface {
	Compare(ctx context.Context, password []byte, hashed string) error
}

// SettingsMethod is the password method of the settings flow.
type SettingsMethod struct {
	identities SettingsIdentities
	hasher     SettingsComparer
}

var _ settings.Method = (*SettingsMethod)(nil)

// NewSettings returns the password settings method; identities applies the password policy.
func NewSettings(identities SettingsIdentities, hasher SettingsComparer) *SettingsMethod {
	return &SettingsMethod{identities: identities, hasher: hasher}
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
	// The policy first: a refused password costs no hash comparison.
	if err := m.identities.CheckPassword(sub.Identity, pw); err != nil {
		var refused *identity.PasswordRefusedError
		if errors.As(err, &refused) {
			return refuse(refused.Message)
		}
		return err
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
