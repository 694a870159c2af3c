package webauthn

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"net/url"
	"time"

	"github.com/go-webauthn/webauthn/protocol"
	lib "github.com/go-webauthn/webauthn/webauthn"

	"github.com/portico-auth/portico/internal/apierr"
	"github.com/portico-auth/portico/internal/flow"
	"github.com/portico-auth/portico/internal/flow/settings"
	"github.com/portico-auth/portico/internal/identity"
	"github.com/portico-auth/portico/internal/schema"
	"github.com/portico-auth/portico/internal/text"
)

// Updater stores a changed identity (satisfied by *identity.Manager, which also sets the
// webauthn identifiers from the schema).
type Updater interface {
	Update(ctx context.Context, id *identity.Identity) error
}

// Settings registers and removes keys in the settings flow, for either variant.
//
// A settings flow keeps its registration ceremony (the library's session data, above all the
// challenge) in its own internal context, sealed with the flow, rather than in a ceremony record
// of its own: showing a settings flow then costs no write besides the flow's, which matters
// because every new settings flow shows a ceremony per variant. A registration uses the
// ceremony up (it is deleted from the flow, which the success stores); two submissions racing
// with one answer cannot both register, as the identity's version check lets one write win and
// the other is refused as a used challenge.
type Settings struct {
	Variant Variant
	RP      *lib.WebAuthn
	Schemas identity.Schemas
	// Public is the public base URL (the script's address).
	Public *url.URL
	// Passwordless marks new WebAuthn keys as first factors (selfservice.methods.webauthn.
	// config.passwordless); passkeys always are.
	Passwordless bool
	// Now is the clock (required: internal/server defaults it once).
	Now func() time.Time

	named      nameMemo
	ceremonies ceremonyMemo
}

var _ settings.Method = (*Settings)(nil)

// ID implements settings.Method.
func (m *Settings) ID() string { return m.Variant.Method }

func (m *Settings) now() time.Time { return m.Now().UTC() }

// Nodes implements settings.Method: a remove button per key, the display name input (WebAuthn
// only), the hidden answer input, the trigger carrying fresh creation options and the script.
// WebAuthn needs a browser, so API flows get no nodes (as with Kratos).
func (m *Settings) Nodes(ctx context.Context, f *settings.Flow, ident *identity.Identity) error {
	if f.Type != flow.TypeBrowser {
		return nil
	}
	v := m.Variant
	cfg, err := ReadConfig(ident, v.Type)
	if err != nil {
		return err
	}
	for _, k := range cfg.Credentials {
		label := text.New(v.RemoveLabel, map[string]any{"display_name": k.DisplayName, "added_at": k.AddedAt.UTC().Format(time.RFC3339)})
		f.UI.Nodes.Append(flow.NewInput(v.Group, flow.InputAttributes{Name: v.RemoveField, Type: flow.InputSubmit, Value: k.HexID()}, &label))
	}
	// The trigger's value is the creation options and its onclick calls the script with them:
	// one string holds both (the options are about 1.5 KB).
	before := "window." + v.TriggerFunc + "("
	onclick, sd, err := m.ceremony(ident, cfg, before, ")")
	if err != nil {
		return err
	}
	f.SetInternalJSON(ceremonyKey(v.Purpose), sd)
	js := onclick[len(before) : len(onclick)-1]
	if !v.Passkey {
		name := text.New(text.InfoSettingsWebAuthnName, nil)
		f.UI.Nodes.Append(flow.NewInput(v.Group, flow.InputAttributes{Name: "webauthn_register_displayname", Type: flow.InputText, Value: ""}, &name))
	}
	add := text.New(v.AddLabel, nil)
	f.UI.Nodes.Append(
		flow.NewInput(v.Group, flow.InputAttributes{Name: v.RegisterFields[0], Type: flow.InputHidden, Value: ""}, nil),
		flow.NewInput(v.Group, flow.InputAttributes{
			Name: v.TriggerNode, Type: flow.InputButton, Value: js,
			OnClick: onclick, OnClickTrigger: v.TriggerFunc,
		}, &add),
		ScriptNode(m.Public, v.Group),
	)
	return nil
}

// ceremony begins the registration ceremony a settings flow of ident shows, encoded: the
// creation options (the trigger's argument) between before and after, and the session data
// the flow keeps. An identity version's ceremony is begun by the library once and then filled
// in from its template (see ceremonyMemo).
func (m *Settings) ceremony(ident *identity.Identity, cfg *Config, before, after string) (options string, sessionJSON []byte, err error) {
	if t := m.ceremonies.get(ident.ID, ident.Version); t != nil {
		return t.render(before, after)
	}
	v := m.Variant
	newHandle := v.Passkey && len(cfg.UserHandle) == 0 // user draws one
	user, err := m.user(ident, cfg, nil)
	if err != nil {
		return "", nil, err
	}
	opts := []lib.RegistrationOption{lib.WithExclusions(lib.Credentials(user.WebAuthnCredentials()).CredentialDescriptors())}
	switch {
	case v.Passkey:
		opts = append(opts, lib.WithAuthenticatorSelection(protocol.AuthenticatorSelection{
			ResidentKey: protocol.ResidentKeyRequirementRequired, RequireResidentKey: protocol.ResidentKeyRequired(),
			UserVerification: PasskeyUserVerification,
		}))
	case m.Passwordless:
		opts = append(opts, lib.WithAuthenticatorSelection(protocol.AuthenticatorSelection{
			ResidentKey: protocol.ResidentKeyRequirementRequired, RequireResidentKey: protocol.ResidentKeyRequired(),
			UserVerification: protocol.VerificationRequired,
		}))
	default:
		opts = append(opts, lib.WithAuthenticatorSelection(protocol.AuthenticatorSelection{
			ResidentKey: protocol.ResidentKeyRequirementDiscouraged, UserVerification: protocol.VerificationDiscouraged,
		}))
	}
	creation, sd, err := m.RP.BeginRegistration(user, opts...)
	if err != nil {
		return "", nil, fmt.Errorf("begin %s registration: %w", v.Method, err)
	}
	c, s, err := encodeCeremony(creation, sd)
	if err != nil {
		return "", nil, err
	}
	if t := template(ident.Version, creation, sd, c, s, newHandle); t != nil && ident.Version > 0 {
		m.ceremonies.put(ident.ID, t)
	}
	return before + string(c) + after, s, nil
}

// Update implements settings.Method: removal (<variant>_remove) or registration (the
// browser's answer in the hidden input), both only with a privileged session.
func (m *Settings) Update(ctx context.Context, f *settings.Flow, sub *settings.Submission) error {
	v := m.Variant
	refuse := func(msg text.Message) error {
		f.UI.AddMessage(msg)
		return settings.ErrInvalid
	}
	if f.Type != flow.TypeBrowser {
		return refuse(text.New(text.ErrorValidationSettingsNoStrategy, nil))
	}
	remove := sub.Body.String(v.RemoveField)
	var raw []byte
	for _, name := range v.RegisterFields {
		if raw = RawField(sub.Body, name); len(raw) > 0 {
			break
		}
	}
	if remove == "" && len(raw) == 0 {
		msg := text.NewRequired(v.RegisterFields[0])
		if !f.UI.Nodes.AddMessage(v.RegisterFields[0], msg) {
			f.UI.AddMessage(msg)
		}
		return settings.ErrInvalid
	}
	if err := sub.RequirePrivileged(); err != nil {
		return err
	}
	ident := sub.Identity
	cfg, err := ReadConfig(ident, v.Type)
	if err != nil {
		return err
	}
	now := m.now()
	if remove != "" {
		i := cfg.FindHex(remove)
		if i < 0 {
			return refuse(text.NewGeneric("The security key to remove does not exist."))
		}
		cfg.Credentials = append(cfg.Credentials[:i], cfg.Credentials[i+1:]...)
		if err := WriteConfig(ident, v.Type, cfg, nil, now); err != nil {
			return err
		}
		if err := sub.Save(ctx, ident); err != nil {
			return fmt.Errorf("remove %s key: %w", v.Method, err)
		}
		return nil
	}

	sd, err := flowCeremony(f, v.Purpose)
	if err != nil {
		return refuse(FailureMessage(err))
	}
	parsed, err := protocol.ParseCredentialCreationResponseBytes(raw)
	if err != nil {
		return refuse(FailureMessage(err))
	}
	if v.Passkey || m.Passwordless {
		// A first factor: the authenticator must have verified the user.
		if err := RequireUserVerifiedCreation(parsed); err != nil {
			return refuse(FailureMessage(err))
		}
	}
	user, err := m.user(ident, cfg, sd.UserID)
	if err != nil {
		return err
	}
	cred, err := m.RP.CreateCredential(user, *sd, parsed)
	if err != nil {
		return refuse(FailureMessage(err))
	}
	if cfg.Find(cred.ID) >= 0 {
		return refuse(KeyTakenMessage())
	}
	name := sub.Body.String("webauthn_register_displayname")
	if v.Passkey || name == "" {
		name = user.Display
	}
	cfg.UserHandle = user.Handle
	cfg.Credentials = append(cfg.Credentials, keyFromLibrary(cred, name, v.Passkey || m.Passwordless, now))
	var identifiers []string
	if v.Passkey {
		identifiers = []string{HandleIdentifier(user.Handle)}
	}
	if err := WriteConfig(ident, v.Type, cfg, identifiers, now); err != nil {
		return err
	}
	// Used up whatever follows: a refused save does not make the challenge usable again.
	f.DeleteInternal(ceremonyKey(v.Purpose))
	if err := sub.Save(ctx, ident); err != nil {
		switch {
		case errors.Is(err, identity.ErrKeyTaken):
			return refuse(KeyTakenMessage()) // registered to another identity, or as the other type
		case errors.Is(err, apierr.ErrConflict):
			// Another submission changed the identity first (the same answer racing, say):
			// this one's challenge counts as used.
			return refuse(FailureMessage(ErrNoCeremony))
		}
		return fmt.Errorf("store %s key: %w", v.Method, err)
	}
	return nil
}

// ceremonyKey is where a settings flow's internal context keeps the ceremony of purpose.
func ceremonyKey(purpose string) string { return "ceremony." + purpose }

// flowCeremony is the settings flow's pending ceremony of purpose, or ErrNoCeremony.
func flowCeremony(f *settings.Flow, purpose string) (*lib.SessionData, error) {
	var sd lib.SessionData
	ok, err := f.Internal(ceremonyKey(purpose), &sd)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, ErrNoCeremony
	}
	return &sd, nil
}

// user is the identity as the library sees it. The handle is the stored one; a first key
// gets handle (the one its ceremony was started with) or a new one: the identity id for
// WebAuthn, 32 random bytes for passkeys (authenticators never learn the identity id).
func (m *Settings) user(ident *identity.Identity, cfg *Config, handle []byte) (*User, error) {
	u := &User{Handle: cfg.UserHandle, Keys: cfg.Credentials}
	if len(u.Handle) == 0 {
		u.Handle = handle
	}
	if len(u.Handle) == 0 {
		if m.Variant.Passkey {
			u.Handle = make([]byte, 32)
			if _, err := rand.Read(u.Handle); err != nil {
				return nil, fmt.Errorf("new passkey user handle: %w", err)
			}
		} else {
			id := ident.ID
			u.Handle = id[:]
		}
	}
	u.Name, u.Display = m.named.names(m.Schemas, ident)
	return u, nil
}

// names picks the user name and display name the authenticator shows: the schema's WebAuthn
// identifier (else a password identifier, else the identity id), and the passkey display name.
func names(schemas identity.Schemas, ident *identity.Identity) (string, string) {
	name := ident.ID.String()
	display := ""
	if schemas != nil {
		s := schemas.Default()
		if ident.SchemaID != "" {
			if got, err := schemas.Get(ident.SchemaID); err == nil {
				s = got
			}
		}
		if s != nil {
			if ex, err := s.Extract(ident.Traits); err == nil {
				display = ex.PasskeyDisplayName
				name = firstOf(ex, name)
			}
		}
	}
	if display == "" {
		display = name
	}
	return name, display
}

func firstOf(ex schema.Extracted, fallback string) string {
	switch {
	case len(ex.WebAuthnIdentifiers) > 0:
		return ex.WebAuthnIdentifiers[0]
	case len(ex.PasswordIdentifiers) > 0:
		return ex.PasswordIdentifiers[0]
	}
	return fallback
}
