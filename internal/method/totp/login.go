package totp

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/pquerna/otp"

	"github.com/portico-auth/portico/internal/apierr"
	"github.com/portico-auth/portico/internal/flow"
	"github.com/portico-auth/portico/internal/flow/form"
	"github.com/portico-auth/portico/internal/flow/login"
	"github.com/portico-auth/portico/internal/identity"
	"github.com/portico-auth/portico/internal/text"
)

// LoginMethod is TOTP as a second factor at login (aal2).
type LoginMethod struct {
	login.SecondFactor
	Identities Identities
	// Now is the clock (required: internal/server defaults it once).
	Now func() time.Time
}

var _ login.Method = (*LoginMethod)(nil)

// ID implements login.Method.
func (*LoginMethod) ID() string { return ID }

// Available implements login.Method: for an identity with a linked app.
func (*LoginMethod) Available(ident *identity.Identity) bool {
	return ident != nil && ident.HasCredentials(identity.CredentialsTOTP)
}

// Nodes implements login.Method: the code input and the "Use Authenticator" button.
func (*LoginMethod) Nodes(_ context.Context, f *login.Flow, _ *identity.Identity) error {
	f.UI.Nodes.Append(
		flow.NewInput(flow.GroupTOTP, flow.InputAttributes{Name: "totp_code", Type: flow.InputText, Required: true}, ptr(text.New(text.InfoLoginTOTPLabel, nil))),
		flow.NewSubmit(flow.GroupTOTP, ID, text.New(text.InfoLoginTOTP, nil)),
	)
	return nil
}

// Authenticate implements login.Method: a code of the identity's app for a time step after the
// last one used; that step is stored before the code counts, so a replay (even a concurrent
// one) fails.
func (m *LoginMethod) Authenticate(ctx context.Context, _ *http.Request, _ *login.Flow, ident *identity.Identity, body form.Values) (*identity.Identity, error) {
	wrong := func(msg text.Message) error {
		return &flow.FormError{Nodes: map[string][]text.Message{"totp_code": {msg}}}
	}
	if ident == nil {
		return nil, login.ErrInvalidCredentials()
	}
	code := body.String("totp_code")
	if code == "" {
		return nil, wrong(text.NewRequired("totp_code"))
	}
	cfg, ok, err := readConfig(ident)
	if err != nil {
		return nil, apierr.ErrInternal.WithCause(err)
	}
	if !ok {
		return nil, &flow.FormError{Messages: []text.Message{text.New(text.ErrorValidationNoTOTPDevice, nil)}}
	}
	k, err := otp.NewKeyFromURL(cfg.TOTPURL)
	if err != nil {
		return nil, apierr.ErrInternal.WithCause(fmt.Errorf("decode totp key: %w", err))
	}
	now := m.Now()
	step, ok := matchStep(k, code, now)
	if !ok || step <= cfg.LastUsedStep {
		return nil, wrong(text.NewTOTPWrong())
	}
	cfg.LastUsedStep = step
	if err := writeConfig(ident, cfg, now.UTC()); err != nil {
		return nil, err
	}
	if err := m.Identities.Update(ctx, ident); err != nil {
		if errors.Is(err, apierr.ErrConflict) {
			return nil, wrong(text.NewTOTPWrong())
		}
		return nil, fmt.Errorf("record used totp step: %w", err)
	}
	return ident, nil
}
