package lookup

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/portico-auth/portico/internal/apierr"
	"github.com/portico-auth/portico/internal/flow"
	"github.com/portico-auth/portico/internal/flow/form"
	"github.com/portico-auth/portico/internal/flow/settings"
	"github.com/portico-auth/portico/internal/identity"
	"github.com/portico-auth/portico/internal/seal"
	"github.com/portico-auth/portico/internal/text"
)

// ID is the method's name, credential type and node group.
const ID = string(identity.CredentialsLookupSecret)

// internalKeyCodes holds, in the settings flow's internal context, freshly generated codes
// until they are confirmed.
const internalKeyCodes = "lookup_secret_codes"

// The submit buttons of the settings form.
const (
	fieldRegenerate = "lookup_secret_regenerate"
	fieldReveal     = "lookup_secret_reveal"
	fieldConfirm    = "lookup_secret_confirm"
	fieldDisable    = "lookup_secret_disable"
	nodeCodes       = "lookup_secret_codes"
)

// Identities stores identities (satisfied by *identity.Manager).
type Identities interface {
	Update(ctx context.Context, id *identity.Identity) error
}

// Sessions records a completed method on a session.
type Sessions = settings.MethodRecorder

var (
	// ErrNotGenerated answers a confirmation without freshly generated codes.
	ErrNotGenerated = apierr.ErrBadRequest.WithReason("You must (re-)generate recovery backup codes before you can save them.")
	// ErrNothingToReveal answers a reveal without stored codes.
	ErrNothingToReveal = apierr.ErrBadRequest.WithReason("Can not reveal lookup codes because you have none.")
	// ErrRevealUnavailable answers a reveal when the codes cannot be decrypted (no or rotated
	// secrets.cipher): new codes must be generated.
	ErrRevealUnavailable = apierr.ErrBadRequest.WithReason("The backup recovery codes can not be revealed. Please generate new ones.")
)

// SettingsMethod generates, confirms, reveals and disables backup recovery codes.
// Changes are stored through the submission (settings.Submission.Save).
type SettingsMethod struct {
	sessions Sessions
	sealer   *seal.Sealer
	now      func() time.Time
}

var (
	_ settings.Method  = (*SettingsMethod)(nil)
	_ settings.Claimer = (*SettingsMethod)(nil)
)

// NewSettings returns the settings method. secrets seal the codes for reveal (the first seals,
// all open); without any, codes can only be regenerated, never revealed. now is the clock.
func NewSettings(sessions Sessions, secrets []string, now func() time.Time) *SettingsMethod {
	return &SettingsMethod{sessions: sessions, sealer: seal.New(seal.PurposeLookupCodes, secrets), now: now}
}

// ID implements settings.Method.
func (*SettingsMethod) ID() string { return ID }

// Claims implements settings.Claimer: Kratos's lookup buttons submit no method (or "lookup").
func (*SettingsMethod) Claims(b form.Values) bool {
	m := b.String("method")
	if m != "" && m != "lookup" {
		return false
	}
	return b.Bool(fieldRegenerate) || b.Bool(fieldReveal) || b.Bool(fieldConfirm) || b.Bool(fieldDisable)
}

// Nodes implements settings.Method: reveal and disable once codes are stored, generate
// otherwise.
func (m *SettingsMethod) Nodes(_ context.Context, f *settings.Flow, ident *identity.Identity) error {
	if !ident.HasCredentials(identity.CredentialsLookupSecret) {
		f.UI.Nodes.Append(button(fieldRegenerate, text.InfoSettingsRegenerateLookup))
		return nil
	}
	if m.sealer.CanSeal() {
		f.UI.Nodes.Append(button(fieldReveal, text.InfoSettingsRevealLookup))
	} else {
		f.UI.Nodes.Append(button(fieldRegenerate, text.InfoSettingsRegenerateLookup))
	}
	f.UI.Nodes.Append(button(fieldDisable, text.InfoSettingsDisableLookup))
	return nil
}

func button(name string, label int) flow.Node {
	l := text.New(label, nil)
	return flow.NewInput(flow.GroupLookup, flow.InputAttributes{Name: name, Type: flow.InputSubmit, Value: "true"}, &l)
}

// codesNode shows codes (used ones as "used at") under Kratos's "keep them safe" label.
func codesNode(items []text.Message) flow.Node {
	l := text.New(text.InfoSettingsLookupConfirm, nil) // 1050010, Kratos's LookupSecretLabel
	return flow.NewTextNode(flow.GroupLookup, nodeCodes, text.NewLookupSecretList(items), &l)
}

// Update implements settings.Method. Every action needs a privileged session, as Kratos asks.
func (m *SettingsMethod) Update(ctx context.Context, f *settings.Flow, sub *settings.Submission) error {
	if err := sub.RequirePrivileged(); err != nil {
		return err
	}
	b := sub.Body
	switch {
	case b.Bool(fieldConfirm):
		return m.confirm(ctx, f, sub)
	case b.Bool(fieldReveal):
		return m.reveal(f, sub)
	case b.Bool(fieldDisable):
		delete(sub.Identity.Credentials, identity.CredentialsLookupSecret)
		f.DeleteInternal(internalKeyCodes)
		if err := sub.Save(ctx, sub.Identity); err != nil {
			return fmt.Errorf("disable recovery codes: %w", err)
		}
		return nil
	case b.Bool(fieldRegenerate):
		return m.regenerate(f)
	}
	f.UI.AddMessage(text.New(text.ErrorValidationSettingsNoStrategy, nil))
	return settings.ErrInvalid
}

// regenerate shows new codes once, with the confirm button; nothing is stored until then.
func (m *SettingsMethod) regenerate(f *settings.Flow) error {
	codes, err := generate()
	if err != nil {
		return err
	}
	if err := f.SetInternal(internalKeyCodes, codes); err != nil {
		return err
	}
	items := make([]text.Message, len(codes))
	for i, c := range codes {
		items[i] = text.NewLookupSecret(c)
	}
	f.UI.Nodes.Remove(flow.GroupLookup)
	// Codes awaiting confirmation are shown on every read of the flow until confirmed (the
	// UI must show them), but stored only sealed.
	f.AppendSecret(codesNode(items))
	f.UI.Nodes.Append(button(fieldConfirm, text.InfoSettingsEnableLookup))
	return settings.ErrReturnToUI
}

// confirm stores the codes regenerate showed, replacing any earlier ones.
func (m *SettingsMethod) confirm(ctx context.Context, f *settings.Flow, sub *settings.Submission) error {
	var codes []string
	if ok, err := f.Internal(internalKeyCodes, &codes); err != nil {
		return err
	} else if !ok || len(codes) != NumCodes {
		return ErrNotGenerated
	}
	cfg, err := newConfig(m.sealer, sub.Identity, codes)
	if err != nil {
		return err
	}
	if err := writeConfig(sub.Identity, cfg, m.now().UTC()); err != nil {
		return err
	}
	if err := sub.Save(ctx, sub.Identity); err != nil {
		return fmt.Errorf("store recovery codes: %w", err)
	}
	f.DeleteInternal(internalKeyCodes)
	return sub.SecondFactorSetUp(ctx, m.sessions, ID)
}

// reveal shows the stored codes (used ones as "used at") with disable and regenerate.
func (m *SettingsMethod) reveal(f *settings.Flow, sub *settings.Submission) error {
	ident := sub.Identity
	cfg, ok, err := readConfig(ident)
	if err != nil {
		return apierr.ErrInternal.WithCause(err)
	}
	if !ok || len(cfg.RecoveryCodes) == 0 {
		return ErrNothingToReveal
	}
	if cfg.Sealed == "" || !m.sealer.CanSeal() {
		return ErrRevealUnavailable
	}
	var codes []string
	err = m.sealer.OpenJSON(cfg.Sealed, ident.ID[:], &codes)
	if err != nil || len(codes) != len(cfg.RecoveryCodes) {
		return ErrRevealUnavailable.WithCause(errors.Join(err, errors.New("sealed codes do not match")))
	}
	items := make([]text.Message, len(codes))
	for i, c := range codes {
		if u := cfg.RecoveryCodes[i].UsedAt; u != nil {
			items[i] = text.NewLookupSecretUsed(*u)
		} else {
			items[i] = text.NewLookupSecret(c)
		}
	}
	f.UI.Nodes.Remove(flow.GroupLookup)
	// Revealed codes are shown once: in this reply (or, after a browser form's redirect, the
	// next read by this session), never again by reading the flow.
	f.AppendOnce(sub, codesNode(items))
	f.UI.Nodes.Append(button(fieldDisable, text.InfoSettingsDisableLookup), button(fieldRegenerate, text.InfoSettingsRegenerateLookup))
	return settings.ErrReturnToUI
}
