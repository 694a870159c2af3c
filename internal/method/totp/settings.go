package totp

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/pquerna/otp"

	"github.com/portico-auth/portico/internal/apierr"
	"github.com/portico-auth/portico/internal/flow"
	"github.com/portico-auth/portico/internal/flow/form"
	"github.com/portico-auth/portico/internal/flow/settings"
	"github.com/portico-auth/portico/internal/identity"
	"github.com/portico-auth/portico/internal/text"
)

// ID is the method's name, credential type and node group.
const ID = string(identity.CredentialsTOTP)

// internalKeyURL holds, in the settings flow's internal context, the otpauth URL offered for
// linking until a code confirms it.
const internalKeyURL = "totp_url"

// Identities stores identities (satisfied by *identity.Manager).
type Identities interface {
	Update(ctx context.Context, id *identity.Identity) error
}

// Sessions records a completed method on a session.
type Sessions = settings.MethodRecorder

// ErrNoPendingKey answers a link attempt on a flow that never offered a key.
var ErrNoPendingKey = apierr.ErrBadRequest.WithReason("This settings flow holds no TOTP key to link. Please start a new settings flow.")

// SettingsMethod links and unlinks an authenticator app.
// Changes are stored through the submission (settings.Submission.Save).
type SettingsMethod struct {
	Sessions Sessions
	Schemas  identity.Schemas
	// Issuer is selfservice.methods.totp.config.issuer (the public host by default).
	Issuer string
	// Now is the clock (required: internal/server defaults it once).
	Now func() time.Time

	// pending is the key new flows of an identity offer (see pending.go).
	pending pendingKeys
}

var (
	_ settings.Method  = (*SettingsMethod)(nil)
	_ settings.Claimer = (*SettingsMethod)(nil)
	_ settings.Carrier = (*SettingsMethod)(nil)
)

// CarriedKeys implements settings.Carrier: after a successful submission (a profile change,
// say) the fresh flow offers the key the submitted one offered. A link deletes the key first,
// so a linked key is never carried.
func (*SettingsMethod) CarriedKeys() []string { return []string{internalKeyURL} }

// ID implements settings.Method.
func (*SettingsMethod) ID() string { return ID }

func (m *SettingsMethod) now() time.Time { return m.Now().UTC() }

// Claims implements settings.Claimer: the unlink button submits no method.
func (*SettingsMethod) Claims(b form.Values) bool { return b.Bool("totp_unlink") }

// Nodes implements settings.Method: the unlink button when an app is linked; otherwise the QR
// code, the secret as text, the code input and the save button, for a key kept in the flow.
func (m *SettingsMethod) Nodes(_ context.Context, f *settings.Flow, ident *identity.Identity) error {
	if ident.HasCredentials(identity.CredentialsTOTP) {
		f.UI.Nodes.Append(flow.NewInput(flow.GroupTOTP, flow.InputAttributes{
			Name: "totp_unlink", Type: flow.InputSubmit, Value: "true", Required: true,
		}, ptr(text.New(text.InfoSettingsUnlinkTOTP, nil))))
		return nil
	}
	o, err := m.offer(f, ident)
	if err != nil {
		return err
	}
	// The QR code and the text both carry the key: secret nodes, stored only sealed.
	f.AppendSecret(
		flow.NewImageNode(flow.GroupTOTP, "totp_qr", o.qr, qrSize, qrSize, ptr(text.New(text.InfoSettingsTOTPQRCode, nil))),
		flow.NewTextNode(flow.GroupTOTP, "totp_secret_key", text.NewTOTPSecret(o.secret), ptr(text.New(text.InfoSettingsTOTPSecretLabel, nil))),
	)
	f.UI.Nodes.Append(
		flow.NewInput(flow.GroupTOTP, flow.InputAttributes{Name: "totp_code", Type: flow.InputText, Required: true}, ptr(text.NewLabelVerifyCode())),
		flow.NewSubmit(flow.GroupTOTP, ID, text.NewLabelSave()),
	)
	return nil
}

// offer is the key the flow already offers; else the one the identity's flows offer in this
// window (see pending.go), or a new one; kept in the flow's internal context.
func (m *SettingsMethod) offer(f *settings.Flow, ident *identity.Identity) (offer, error) {
	now := m.now()
	var u string
	if ok, err := f.Internal(internalKeyURL, &u); err != nil {
		return offer{}, err
	} else if ok && u != "" {
		// The flow's own key: its QR code is reused when it is the one drawn last for the
		// identity, whatever the identity's version (the key is not being chosen here).
		if o, hit := m.pending.drawn(ident.ID, u); hit {
			return o, nil
		}
		if k, err := otp.NewKeyFromURL(u); err == nil {
			return offerOf(k)
		}
	}
	o, hit := m.pending.get(ident.ID, ident.Version, now)
	if !hit {
		k, err := newKey(m.Issuer, m.accountName(ident))
		if err != nil {
			return offer{}, err
		}
		if o, err = offerOf(k); err != nil {
			return offer{}, err
		}
		m.pending.put(ident.ID, ident.Version, o, now)
	}
	// The memo's offers are shared: the flow gets the encoded URL, which no one changes.
	f.SetInternalJSON(internalKeyURL, o.urlJSON)
	return o, nil
}

// offerOf is k offered: its URL, secret and QR code.
func offerOf(k *otp.Key) (offer, error) {
	qr, err := qrDataURI(k)
	if err != nil {
		return offer{}, err
	}
	u := k.URL()
	urlJSON, err := json.Marshal(u)
	if err != nil {
		return offer{}, err
	}
	return offer{url: u, secret: k.Secret(), qr: qr, urlJSON: urlJSON}, nil
}

// accountName is the totp.account_name trait, else the first login identifier, else the
// identity's id.
func (m *SettingsMethod) accountName(ident *identity.Identity) string {
	if m.Schemas != nil {
		s := m.Schemas.Default()
		if ident.SchemaID != "" {
			if got, err := m.Schemas.Get(ident.SchemaID); err == nil {
				s = got
			}
		}
		if s != nil {
			if ex, err := s.Extract(ident.Traits); err == nil {
				if ex.TOTPAccountName != "" {
					return ex.TOTPAccountName
				}
				if len(ex.PasswordIdentifiers) > 0 {
					return ex.PasswordIdentifiers[0]
				}
			}
		}
	}
	return ident.ID.String()
}

// Update implements settings.Method: with an app linked, totp_unlink removes it; otherwise a
// correct code links the key the flow offered. Both need a privileged session.
func (m *SettingsMethod) Update(ctx context.Context, f *settings.Flow, sub *settings.Submission) error {
	if err := sub.RequirePrivileged(); err != nil {
		return err
	}
	ident := sub.Identity
	if ident.HasCredentials(identity.CredentialsTOTP) {
		if !sub.Body.Bool("totp_unlink") {
			return nil // nothing asked of a linked app: Kratos answers with success too
		}
		delete(ident.Credentials, identity.CredentialsTOTP)
		if err := sub.Save(ctx, ident); err != nil {
			return fmt.Errorf("unlink totp: %w", err)
		}
		return nil
	}
	return m.link(ctx, f, sub)
}

func (m *SettingsMethod) link(ctx context.Context, f *settings.Flow, sub *settings.Submission) error {
	var u string
	if ok, err := f.Internal(internalKeyURL, &u); err != nil {
		return err
	} else if !ok || u == "" {
		return ErrNoPendingKey
	}
	k, err := otp.NewKeyFromURL(u)
	if err != nil {
		return apierr.ErrInternal.WithCause(fmt.Errorf("decode pending totp key: %w", err))
	}
	refuse := func(msg text.Message) error {
		if !f.UI.Nodes.AddMessage("totp_code", msg) {
			f.UI.AddMessage(msg)
		}
		return settings.ErrInvalid
	}
	code := sub.Body.String("totp_code")
	if code == "" {
		return refuse(text.NewRequired("totp_code"))
	}
	now := m.now()
	step, ok := matchStep(k, code, now)
	if !ok {
		return refuse(text.NewTOTPWrong())
	}
	// The code that linked the app counts as used: it cannot sign in as well.
	if err := writeConfig(sub.Identity, Config{TOTPURL: k.URL(), LastUsedStep: step}, now); err != nil {
		return err
	}
	if err := sub.Save(ctx, sub.Identity); err != nil {
		if errors.Is(err, apierr.ErrConflict) {
			return refuse(text.NewTOTPWrong())
		}
		return fmt.Errorf("link totp: %w", err)
	}
	f.DeleteInternal(internalKeyURL)
	return sub.SecondFactorSetUp(ctx, m.Sessions, ID)
}

func ptr[T any](v T) *T { return &v }
