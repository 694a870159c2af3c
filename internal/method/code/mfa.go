package code

import (
	"context"
	"errors"
	"net/http"

	"github.com/google/uuid"

	"github.com/portico-auth/portico/internal/flow"
	"github.com/portico-auth/portico/internal/flow/form"
	"github.com/portico-auth/portico/internal/flow/login"
	"github.com/portico-auth/portico/internal/identity"
	"github.com/portico-auth/portico/internal/onetime"
	"github.com/portico-auth/portico/internal/session"
	"github.com/portico-auth/portico/internal/text"
)

// SecondFactor is the code as a second factor (selfservice.methods.code.mfa_enabled): an aal2
// login flow offers one button per email address of the signed-in identity; the code sent
// there lifts the session to aal2. The session rule (session.LevelOf) counts it only beside a
// first factor of another kind: password + code is aal2, code + code stays aal1.
type SecondFactor struct {
	Codes *onetime.Codes
	Mail  onetime.Mailer
	// UIURL builds the login flow's page, where the message's link leads.
	UIURL func(id uuid.UUID) string
}

var _ login.Method = (*SecondFactor)(nil)

// ID implements login.Method.
func (*SecondFactor) ID() string { return ID }

// AAL implements login.Method.
func (*SecondFactor) AAL() session.AAL { return session.AAL2 }

// Available implements login.Method: for an identity with an email address to send to.
func (*SecondFactor) Available(ident *identity.Identity) bool {
	return len(emailAddresses(ident)) > 0
}

// emailAddresses are the identity's email addresses a code can go to.
func emailAddresses(ident *identity.Identity) []string {
	if ident == nil {
		return nil
	}
	var out []string
	for _, a := range ident.VerifiableAddresses {
		if a.Via == "email" {
			out = append(out, a.Value)
		}
	}
	return out
}

// Nodes implements login.Method: "Send code to <address>" for each address.
func (*SecondFactor) Nodes(_ context.Context, f *login.Flow, ident *identity.Identity) error {
	f.UI.Nodes.Append(flow.NewInput(flow.GroupCode, flow.InputAttributes{Name: "method", Type: flow.InputHidden, Value: ID}, nil))
	for _, a := range emailAddresses(ident) {
		label := text.New(text.InfoLoginAAL2CodeAddress, map[string]any{"address": a, "channel": "email"})
		f.UI.Nodes.Append(flow.NewInput(flow.GroupCode, flow.InputAttributes{Name: "address", Type: flow.InputSubmit, Value: a}, &label))
	}
	return nil
}

// Authenticate implements login.Method. Without a code (or with resend) it sends one to the
// chosen address of ident and returns login.ErrPending; with a code it checks it and returns
// ident. The code must have been sent to ident on this flow.
func (m *SecondFactor) Authenticate(ctx context.Context, _ *http.Request, f *login.Flow, ident *identity.Identity, body form.Values) (*identity.Identity, error) {
	if ident == nil {
		return nil, login.ErrInvalidCredentials()
	}
	code := body.String("code")
	if code == "" || body.String("resend") != "" {
		return nil, m.send(ctx, f, ident, body.String("address"))
	}
	c, err := m.Codes.Check(ctx, f.ID, onetime.PurposeLogin, code)
	switch {
	case errors.Is(err, onetime.ErrTooManyTries):
		return nil, flow.NewFormError(text.NewCodeSubmittedTooOften())
	case errors.Is(err, onetime.ErrInvalid) || (err == nil && (c.IdentityID == nil || *c.IdentityID != ident.ID)):
		return nil, flow.NewFormError(text.New(text.ErrorValidationLoginCodeInvalid, nil))
	case err != nil:
		return nil, err
	}
	return ident, nil
}

// send sends a code to address, which must be one of ident's, and shows the code form.
func (m *SecondFactor) send(ctx context.Context, f *login.Flow, ident *identity.Identity, raw string) error {
	address := ""
	want := identity.NormalizeIdentifier(raw)
	for _, a := range emailAddresses(ident) {
		if identity.NormalizeIdentifier(a) == want {
			address = a
		}
	}
	if address == "" {
		return flow.NewFormError(text.New(text.ErrorValidationLoginAddressUnknown, nil))
	}
	return sendLoginCode(ctx, m.Codes, m.Mail, m.UIURL, f, ident, "address", address)
}
