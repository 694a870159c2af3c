package password

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/portico-auth/portico/internal/flow"
	"github.com/portico-auth/portico/internal/flow/settings"
	"github.com/portico-auth/portico/internal/hash"
	"github.com/portico-auth/portico/internal/identity"
	"github.com/portico-auth/portico/internal/text"
	"github.com/portico-auth/portico/internal/throttle"
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

	// RequireCurrent (selfservice.methods.password.config.require_current_password) makes a
	// new password of an identity that has one need the current password as well.
	RequireCurrent bool
	// Throttle counts every current-password attempt against the sign-in budgets of the
	// identity's identifier (and the client's address, or its trusted device), before the hash
	// is compared: settings is no way around the sign-in limits. nil means no limit.
	Throttle *throttle.Login
	// Now is the clock (required with Throttle: internal/server sets it).
	Now func() time.Time
}

var _ settings.Method = (*SettingsMethod)(nil)

// NewSettings returns the password settings method; identities applies the password policy.
func NewSettings(identities SettingsIdentities, hasher SettingsComparer) *SettingsMethod {
	return &SettingsMethod{identities: identities, hasher: hasher}
}

// ID implements settings.Method.
func (*SettingsMethod) ID() string { return string(identity.CredentialsPassword) }

// CurrentPasswordField is the input that carries the current password.
const CurrentPasswordField = "current_password"

// Nodes implements settings.Method: the current-password input (with RequireCurrent, when the
// identity has a password), the new-password input and the password submit button.
func (m *SettingsMethod) Nodes(_ context.Context, f *settings.Flow, ident *identity.Identity) error {
	if m.RequireCurrent && currentHash(ident) != "" {
		f.UI.Nodes.Append(flow.NewInput(flow.GroupPassword, flow.InputAttributes{
			Name: CurrentPasswordField, Type: flow.InputPassword, Required: true,
			Autocomplete: flow.AutocompleteCurrentPassword,
		}, ptr(text.NewLabelCurrentPassword())))
	}
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

// OwnNodesOnly implements settings.OwnNodesOnly: Update changes only the messages of the
// password and current_password nodes, decoded first (f.OwnNodes), and the flow's.
func (m *SettingsMethod) OwnNodesOnly() {}

// Update implements settings.Method: a privileged session, then the policy (length, identifier
// similarity, commonly used passwords, not the current password), then the new hash replaces
// the old one in one store transaction.
func (m *SettingsMethod) Update(ctx context.Context, f *settings.Flow, sub *settings.Submission) error {
	pw := sub.Body.String("password")
	refuse := func(msg text.Message) error {
		if err := f.OwnNodes(); err != nil {
			return err
		}
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
	if m.RequireCurrent {
		if err := m.checkCurrent(ctx, f, sub); err != nil {
			return err
		}
	}
	// The policy first: a refused password costs no hash comparison.
	if err := m.identities.CheckPassword(sub.Identity, pw); err != nil {
		var refused *identity.PasswordRefusedError
		if errors.As(err, &refused) {
			return refuse(refused.Message)
		}
		return err
	}
	hashed := currentHash(sub.Identity)
	if hashed != "" && m.RequireCurrent {
		// checkCurrent has just compared current_password with the hash: the new password is
		// the old one exactly when it equals that field, so a second slow hash is not needed.
		if pw == sub.Body.String(CurrentPasswordField) {
			return refuse(text.NewPasswordSameAsOld())
		}
	} else if hashed != "" {
		err := m.hasher.Compare(ctx, []byte(pw), hashed)
		if err == nil {
			return refuse(text.NewPasswordSameAsOld())
		}
		if !errors.Is(err, hash.ErrMismatch) {
			return fmt.Errorf("compare with the current password: %w", err)
		}
	}
	if err := m.identities.SetPassword(ctx, sub.Identity, pw, ""); err != nil {
		return fmt.Errorf("set password: %w", err)
	}
	if err := sub.Finish(ctx, sub.Identity); err != nil {
		return fmt.Errorf("store password: %w", err)
	}
	return nil
}

// checkCurrent refuses the submission unless its current_password is the identity's password
// (an identity without one, setting its first, has none to give). The attempt is reserved in
// the sign-in throttle before the hash is compared: a wrong one stays counted, a right one
// clears the identifier's failures, one that could not be evaluated is given back.
func (m *SettingsMethod) checkCurrent(ctx context.Context, f *settings.Flow, sub *settings.Submission) error {
	hashed := currentHash(sub.Identity)
	if hashed == "" {
		return nil
	}
	refuse := func(msg text.Message) error {
		if err := f.OwnNodes(); err != nil {
			return err
		}
		if !f.UI.Nodes.AddMessage(CurrentPasswordField, msg) {
			f.UI.AddMessage(msg)
		}
		return settings.ErrInvalid
	}
	current := sub.Body.String(CurrentPasswordField)
	if current == "" {
		return refuse(text.NewRequired(CurrentPasswordField))
	}
	key := identity.NormalizeIdentifier(passwordIdentifier(sub.Identity))
	res, err := m.Throttle.Reserve(ctx, sub.Request, key, sub.Identity.ID, m.Now())
	if err != nil {
		return throttled(err)
	}
	err = m.hasher.Compare(ctx, []byte(current), hashed)
	switch {
	case err == nil:
		return res.Succeeded(ctx)
	case errors.Is(err, hash.ErrMismatch):
		return refuse(text.NewCurrentPasswordWrong())
	default:
		if cerr := res.Cancel(ctx); cerr != nil {
			err = errors.Join(err, cerr)
		}
		return fmt.Errorf("compare the current password: %w", err)
	}
}

// currentHash is ident's stored password hash, "" when it has none.
func currentHash(ident *identity.Identity) string {
	if ident == nil {
		return ""
	}
	c, ok := ident.Credentials[identity.CredentialsPassword]
	if !ok || len(c.Config) == 0 {
		return ""
	}
	var cfg identity.PasswordConfig
	if err := json.Unmarshal(c.Config, &cfg); err != nil {
		return ""
	}
	return cfg.HashedPassword
}
