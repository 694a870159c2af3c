package passkey

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"time"

	"github.com/go-webauthn/webauthn/protocol"
	lib "github.com/go-webauthn/webauthn/webauthn"

	"github.com/portico-auth/portico/internal/apierr"
	"github.com/portico-auth/portico/internal/flow"
	"github.com/portico-auth/portico/internal/flow/form"
	"github.com/portico-auth/portico/internal/flow/registration"
	"github.com/portico-auth/portico/internal/identity"
	"github.com/portico-auth/portico/internal/method/webauthn"
	"github.com/portico-auth/portico/internal/schema"
	"github.com/portico-auth/portico/internal/text"
)

// PurposeRegistration is the ceremony purpose of passkey sign-up.
const PurposeRegistration = "passkey.registration"

// IdentityCreator creates identities (satisfied by *identity.Manager).
type IdentityCreator interface {
	Create(ctx context.Context, id *identity.Identity, opts identity.CreateOptions) error
}

// Registration is the passkey method of the registration flow: the schema's traits plus a
// discoverable credential created for a user handle chosen when the flow is shown. The handle
// travels in the ceremony (the library's session data), so it is the same at submission.
type Registration struct {
	RP         *lib.WebAuthn
	Ceremonies *webauthn.Ceremonies
	Identities IdentityCreator
	Schemas    identity.Schemas
	// Public is the public base URL (the script's address).
	Public *url.URL
	// Now is the clock (required: internal/server defaults it once).
	Now func() time.Time
}

var _ registration.Method = (*Registration)(nil)

// ID implements registration.Method.
func (*Registration) ID() string { return string(identity.CredentialsPasskey) }

func (m *Registration) now() time.Time { return m.Now().UTC() }

// Nodes implements registration.Method: the trait inputs (unless another method added them),
// the hidden passkey_register input, passkey_register_trigger with creation options for a new
// user handle, and the script. Browser flows only.
func (m *Registration) Nodes(ctx context.Context, f *registration.Flow) error {
	if f.Type != flow.TypeBrowser {
		return nil
	}
	registration.AddTraitNodes(f, m.Schemas.Default())
	handle := make([]byte, 32)
	if _, err := rand.Read(handle); err != nil {
		return fmt.Errorf("new passkey user handle: %w", err)
	}
	user := &webauthn.User{Handle: handle, Name: "", Display: ""}
	creation, sd, err := m.RP.BeginRegistration(user,
		lib.WithAuthenticatorSelection(protocol.AuthenticatorSelection{
			ResidentKey: protocol.ResidentKeyRequirementRequired, RequireResidentKey: protocol.ResidentKeyRequired(),
			UserVerification: webauthn.PasskeyUserVerification,
		}))
	if err != nil {
		return fmt.Errorf("begin passkey registration: %w", err)
	}
	if err := m.Ceremonies.Save(ctx, f.ID, PurposeRegistration, sd, f.ExpiresAt); err != nil {
		return err
	}
	js, err := webauthn.OptionsJSON(creation)
	if err != nil {
		return err
	}
	label := text.New(text.InfoRegistrationPasskey, nil)
	const fn = "oryPasskeyRegistration"
	f.UI.Nodes.Append(
		flow.NewInput(flow.GroupPasskey, flow.InputAttributes{Name: "passkey_register", Type: flow.InputHidden, Value: ""}, nil),
		flow.NewInput(flow.GroupPasskey, flow.InputAttributes{
			Name: "passkey_register_trigger", Type: flow.InputButton, Value: js,
			OnClick: "window." + fn + "(" + js + ")", OnClickTrigger: fn,
		}, &label),
		webauthn.ScriptNode(m.Public, flow.GroupPasskey),
	)
	return nil
}

func refuse(msg text.Message) error {
	return &flow.FormError{Messages: []text.Message{msg}}
}

// Register implements registration.Method: the traits must satisfy the schema; the browser's
// creation response must answer this flow's unused challenge from a configured origin. The
// identity is created with the passkey as its only credential.
func (m *Registration) Register(ctx context.Context, _ *http.Request, f *registration.Flow, body form.Values) (*identity.Identity, error) {
	if f.Type != flow.TypeBrowser {
		return nil, refuse(text.New(text.ErrorValidationRegistrationNoStrategy, nil))
	}
	s := m.Schemas.Default()
	raw, fe, err := registration.ReadTraits(s, f, body)
	if err != nil {
		return nil, err
	}
	answer := webauthn.RawField(body, "passkey_register")
	if len(answer) == 0 {
		fe.AddNode("passkey_register", text.NewRequired("passkey_register"))
	}
	if len(fe.Nodes) > 0 || len(fe.Messages) > 0 {
		return nil, fe
	}

	now := m.now()
	sd, err := m.Ceremonies.Load(ctx, f.ID, PurposeRegistration, now)
	if err != nil {
		if errors.Is(err, webauthn.ErrNoCeremony) {
			return nil, refuse(webauthn.FailureMessage(err))
		}
		return nil, err
	}
	parsed, err := protocol.ParseCredentialCreationResponseBytes(answer)
	if err != nil {
		return nil, refuse(webauthn.FailureMessage(err))
	}
	if err := webauthn.RequireUserVerifiedCreation(parsed); err != nil {
		return nil, refuse(webauthn.FailureMessage(err))
	}
	ident := &identity.Identity{SchemaID: s.ID, Traits: raw}
	display := ""
	if ex, err := s.Extract(raw); err == nil {
		display = ex.PasskeyDisplayName
		if display == "" && len(ex.WebAuthnIdentifiers) > 0 {
			display = ex.WebAuthnIdentifiers[0]
		}
		if display == "" && len(ex.PasswordIdentifiers) > 0 {
			display = ex.PasswordIdentifiers[0]
		}
	}
	user := &webauthn.User{Handle: sd.UserID, Name: display, Display: display}
	cred, err := m.RP.CreateCredential(user, *sd, parsed)
	if err != nil {
		return nil, refuse(webauthn.FailureMessage(err))
	}
	cfg := &webauthn.Config{UserHandle: sd.UserID, Credentials: []webauthn.Key{webauthn.NewKey(cred, display, true, now)}}
	if err := webauthn.WriteConfig(ident, identity.CredentialsPasskey, cfg, []string{webauthn.HandleIdentifier(sd.UserID)}, now); err != nil {
		return nil, err
	}
	if err := m.Ceremonies.Consume(ctx, f.ID, PurposeRegistration); err != nil {
		if errors.Is(err, webauthn.ErrNoCeremony) {
			return nil, refuse(webauthn.FailureMessage(err)) // another submission of the same answer got there first
		}
		return nil, err
	}
	err = m.Identities.Create(ctx, ident, identity.CreateOptions{})
	var ve *schema.ValidationError
	switch {
	case errors.Is(err, identity.ErrKeyTaken):
		return nil, refuse(webauthn.KeyTakenMessage())
	case errors.Is(err, apierr.ErrConflict):
		m.restore(ctx, f, sd)
		return nil, refuse(text.NewDuplicateCredentials())
	case errors.As(err, &ve):
		m.restore(ctx, f, sd)
		fe.AddProblems(ve)
		return nil, fe
	case err != nil:
		return nil, err
	}
	return ident, nil
}

// restore puts the ceremony back after the identity could not be created for a reason the
// user can correct (a taken identifier), so the same passkey can be submitted again.
func (m *Registration) restore(ctx context.Context, f *registration.Flow, sd *lib.SessionData) {
	_ = m.Ceremonies.Save(ctx, f.ID, PurposeRegistration, sd, f.ExpiresAt)
}
