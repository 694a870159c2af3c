package passkey

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
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
	// Now is the clock; time.Now when nil.
	Now func() time.Time
}

var _ registration.Method = (*Registration)(nil)

// ID implements registration.Method.
func (*Registration) ID() string { return string(identity.CredentialsPasskey) }

func (m *Registration) now() time.Time {
	if m.Now != nil {
		return m.Now().UTC()
	}
	return time.Now().UTC()
}

// Nodes implements registration.Method: the trait inputs (unless another method added them),
// the hidden passkey_register input, passkey_register_trigger with creation options for a new
// user handle, and the script. Browser flows only.
func (m *Registration) Nodes(ctx context.Context, f *registration.Flow) error {
	if f.Type != flow.TypeBrowser {
		return nil
	}
	for _, tf := range m.Schemas.Default().TraitFields() {
		if f.UI.Nodes.Find(tf.Path) != nil {
			continue
		}
		label := text.NewLabelField(tf.Path, tf.Title)
		f.UI.Nodes.Append(flow.NewInput(flow.GroupDefault, traitInput(tf), &label))
	}
	handle := make([]byte, 32)
	if _, err := rand.Read(handle); err != nil {
		return fmt.Errorf("new passkey user handle: %w", err)
	}
	user := &webauthn.User{Handle: handle, Name: "", Display: ""}
	creation, sd, err := m.RP.BeginRegistration(user,
		lib.WithAuthenticatorSelection(protocol.AuthenticatorSelection{
			ResidentKey: protocol.ResidentKeyRequirementRequired, RequireResidentKey: protocol.ResidentKeyRequired(),
			UserVerification: protocol.VerificationPreferred,
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
	return &registration.FormError{Messages: []text.Message{msg}}
}

// Register implements registration.Method: the traits must satisfy the schema; the browser's
// creation response must answer this flow's unused challenge from a configured origin. The
// identity is created with the passkey as its only credential.
func (m *Registration) Register(ctx context.Context, _ *http.Request, f *registration.Flow, body form.Values) (*identity.Identity, error) {
	if f.Type != flow.TypeBrowser {
		return nil, refuse(text.New(text.ErrorValidationRegistrationNoStrategy, nil))
	}
	s := m.Schemas.Default()
	raw, fe, err := traits(s, f, body)
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
	case errors.Is(err, apierr.ErrConflict):
		m.restore(ctx, f, sd)
		return nil, refuse(text.NewDuplicateCredentials())
	case errors.As(err, &ve):
		m.restore(ctx, f, sd)
		for _, p := range ve.Problems {
			fe.AddNode(p.Path, text.New(p.MessageID, p.Context))
		}
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

// traits reads and validates the submitted traits against s, echoing them into the flow.
func traits(s *schema.Schema, f *registration.Flow, body form.Values) (json.RawMessage, *registration.FormError, error) {
	fe := &registration.FormError{}
	t := body.Object("traits")
	if t == nil {
		t = map[string]any{}
	}
	values := form.Values(t)
	for _, tf := range s.TraitFields() {
		sub := strings.TrimPrefix(tf.Path, "traits.")
		v := values.Get(sub)
		if v == nil {
			continue
		}
		cv, ok := coerce(tf, v)
		if !ok {
			fe.AddNode(tf.Path, text.New(text.ErrorValidationWrongType, map[string]any{"reason": "expected " + tf.Type}))
		}
		if cv == nil {
			drop(t, sub)
			continue
		}
		values.Set(sub, cv)
		f.UI.Nodes.SetValue(tf.Path, cv)
	}
	raw, err := json.Marshal(t)
	if err != nil {
		return nil, nil, apierr.ErrBadRequest.WithCause(err)
	}
	var ve *schema.ValidationError
	if err := s.ValidateTraits(raw); errors.As(err, &ve) {
		for _, p := range ve.Problems {
			fe.AddNode(p.Path, text.New(p.MessageID, p.Context))
		}
	} else if err != nil {
		return nil, nil, err
	}
	return raw, fe, nil
}

// coerce turns a form's string into the JSON type the schema wants; ok is false when it
// cannot be converted.
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
		case "false", "off", "0", "":
			return false, true
		}
		return s, false
	}
	return s, true
}

// drop removes the value at dot path from m, so an optional field left empty stays absent.
func drop(m map[string]any, path string) {
	parts := strings.Split(path, ".")
	for _, p := range parts[:len(parts)-1] {
		next, ok := m[p].(map[string]any)
		if !ok {
			return
		}
		m = next
	}
	delete(m, parts[len(parts)-1])
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
	}
	return a
}
