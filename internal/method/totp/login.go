package totp

import (
	"context"
	"fmt"
	"net/http"

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
	login.StoredFactor
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
	code, err := m.Code(ident, body, "totp_code")
	if err != nil {
		return nil, err
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
	if err := m.Record(ctx, ident, wrong(text.NewTOTPWrong()), "totp step"); err != nil {
		return nil, err
	}
	return ident, nil
}
