package webauthn

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"time"

	"github.com/go-webauthn/webauthn/protocol"
	lib "github.com/go-webauthn/webauthn/webauthn"

	"github.com/portico-auth/portico/internal/flow"
	"github.com/portico-auth/portico/internal/flow/form"
	"github.com/portico-auth/portico/internal/flow/login"
	"github.com/portico-auth/portico/internal/identity"
	"github.com/portico-auth/portico/internal/text"
)

// Login is WebAuthn as a second factor of the login flow (aal2), used when
// selfservice.methods.webauthn.config.passwordless is off.
type Login struct {
	login.SecondFactor
	RP         *lib.WebAuthn
	Ceremonies *Ceremonies
	Identities Updater
	Schemas    identity.Schemas
	// Public is the public base URL (the script's address).
	Public *url.URL
	// Now is the clock (required: internal/server defaults it once).
	Now func() time.Time
}

var _ login.Method = (*Login)(nil)

// ID implements login.Method.
func (*Login) ID() string { return WebAuthnVariant.Method }

// Available implements login.Method: for an identity holding at least one key.
func (*Login) Available(ident *identity.Identity) bool {
	if ident == nil {
		return false
	}
	cfg, err := ReadConfig(ident, identity.CredentialsWebAuthn)
	return err == nil && len(cfg.Credentials) > 0
}

func (m *Login) now() time.Time { return m.Now().UTC() }

// Nodes implements login.Method: the hidden webauthn_login input, the trigger carrying the
// assertion options for the identity's keys, and the script. Browser flows only.
func (m *Login) Nodes(ctx context.Context, f *login.Flow, ident *identity.Identity) error {
	if f.Type != flow.TypeBrowser || ident == nil {
		return nil
	}
	cfg, err := ReadConfig(ident, identity.CredentialsWebAuthn)
	if err != nil {
		return err
	}
	user := m.user(ident, cfg)
	assertion, sd, err := m.RP.BeginLogin(user, lib.WithUserVerification(protocol.VerificationDiscouraged))
	if err != nil {
		return fmt.Errorf("begin webauthn login: %w", err)
	}
	if err := m.Ceremonies.Save(ctx, f.ID, PurposeWebAuthnLogin, sd, f.ExpiresAt); err != nil {
		return err
	}
	return AppendLoginNodes(f, m.Public, flow.GroupWebAuthn, "webauthn_login", "webauthn_login_trigger", "oryWebAuthnLogin", text.InfoLoginWebAuthn, assertion)
}

// AppendLoginNodes adds the hidden answer input, the trigger with the options and the script.
func AppendLoginNodes(f *login.Flow, public *url.URL, g flow.Group, input, trigger, fn string, label int, assertion *protocol.CredentialAssertion) error {
	js, err := OptionsJSON(assertion)
	if err != nil {
		return err
	}
	l := text.New(label, nil)
	f.UI.Nodes.Append(
		flow.NewInput(g, flow.InputAttributes{Name: input, Type: flow.InputHidden, Value: ""}, nil),
		flow.NewInput(g, flow.InputAttributes{
			Name: trigger, Type: flow.InputButton, Value: js,
			OnClick: "window." + fn + "(" + js + ")", OnClickTrigger: fn,
		}, &l),
		ScriptNode(public, g),
	)
	return nil
}

func (m *Login) user(ident *identity.Identity, cfg *Config) *User {
	u := &User{Handle: cfg.UserHandle, Keys: cfg.Credentials}
	if len(u.Handle) == 0 {
		id := ident.ID
		u.Handle = id[:]
	}
	u.Name, u.Display = names(m.Schemas, ident)
	return u
}

// Authenticate implements login.Method: the browser's assertion must answer this flow's
// unused challenge, come from a configured origin and be signed by one of the signed-in
// identity's keys with a growing counter.
func (m *Login) Authenticate(ctx context.Context, _ *http.Request, f *login.Flow, ident *identity.Identity, body form.Values) (*identity.Identity, error) {
	if f.Type != flow.TypeBrowser {
		return nil, &flow.FormError{Messages: []text.Message{text.New(text.ErrorValidationLoginNoStrategy, nil)}}
	}
	if ident == nil {
		return nil, &flow.FormError{Messages: []text.Message{text.New(text.ErrorValidationNoWebAuthnUser, nil)}}
	}
	raw := RawField(body, "webauthn_login")
	if len(raw) == 0 {
		return nil, &flow.FormError{Nodes: map[string][]text.Message{"webauthn_login": {text.NewRequired("webauthn_login")}}}
	}
	cfg, err := ReadConfig(ident, identity.CredentialsWebAuthn)
	if err != nil {
		return nil, err
	}
	if len(cfg.Credentials) == 0 {
		return nil, &flow.FormError{Messages: []text.Message{text.New(text.ErrorValidationNoWebAuthnDevice, nil)}}
	}
	now := m.now()
	sd, err := m.Ceremonies.Load(ctx, f.ID, PurposeWebAuthnLogin, now)
	if err != nil {
		return nil, loginFailure(err)
	}
	parsed, err := protocol.ParseCredentialRequestResponseBytes(raw)
	if err != nil {
		return nil, loginFailure(err)
	}
	cred, err := m.RP.ValidateLogin(m.user(ident, cfg), *sd, parsed)
	if err != nil {
		return nil, loginFailure(err)
	}
	if err := Used(ctx, m.Ceremonies, m.Identities, f, PurposeWebAuthnLogin, ident, identity.CredentialsWebAuthn, cfg, cred, now); err != nil {
		return nil, err
	}
	return ident, nil
}

// ErrCloned is the reason given when a key's signature counter went backwards (a replayed
// assertion or a cloned authenticator).
const ErrCloned = "The security key's signature counter did not increase: the response was replayed or the key was cloned."

func loginFailure(err error) *flow.FormError {
	return &flow.FormError{Messages: []text.Message{FailureMessage(err)}}
}

// Used finishes a verified assertion: a counter that did not grow is refused, otherwise the
// ceremony is consumed and the key's new counter stored on the identity.
func Used(ctx context.Context, c *Ceremonies, ids Updater, f *login.Flow, purpose string, ident *identity.Identity, t identity.CredentialsType, cfg *Config, cred *lib.Credential, now time.Time) error {
	if cred.Authenticator.CloneWarning {
		return &flow.FormError{Messages: []text.Message{text.NewGeneric(ErrCloned)}}
	}
	if err := c.Consume(ctx, f.ID, purpose); err != nil {
		if errors.Is(err, ErrNoCeremony) {
			return loginFailure(err) // another submission of the same answer got there first
		}
		return err
	}
	i := cfg.Find(cred.ID)
	if i < 0 {
		return nil
	}
	cfg.Credentials[i].Authenticator.SignCount = cred.Authenticator.SignCount
	cfg.Credentials[i].Flags.BackupState = cred.Flags.BackupState
	if err := WriteConfig(ident, t, cfg, nil, now); err != nil {
		return err
	}
	if err := ids.Update(ctx, ident); err != nil {
		return fmt.Errorf("store %s sign count: %w", t, err)
	}
	return nil
}
