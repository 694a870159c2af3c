package code

import (
	"context"
	"errors"
	"net/http"
	"time"

	"github.com/google/uuid"

	"github.com/portico-auth/portico/internal/apierr"
	"github.com/portico-auth/portico/internal/flow"
	"github.com/portico-auth/portico/internal/flow/form"
	"github.com/portico-auth/portico/internal/flow/login"
	"github.com/portico-auth/portico/internal/identity"
	"github.com/portico-auth/portico/internal/onetime"
	"github.com/portico-auth/portico/internal/session"
	"github.com/portico-auth/portico/internal/text"
)

// ID is the method's name: its submit value, node group and authentication method.
const ID = "code"

// StateSentEmail is the state of a login flow waiting for the code it sent.
const StateSentEmail = "sent_email"

// Identities finds the identity an address belongs to and loads it (satisfied by the store).
type Identities interface {
	FindByVerifiableAddress(ctx context.Context, via, value string) (*identity.Identity, error)
	GetIdentity(ctx context.Context, id uuid.UUID, withCredentials bool) (*identity.Identity, error)
	MarkAddressVerified(ctx context.Context, identityID uuid.UUID, via, value string, now time.Time) error
}

// LoginMethod signs in with a code sent to the account's address.
type LoginMethod struct {
	Codes      *onetime.Codes
	Mail       onetime.Mailer
	Identities Identities
	// UIURL builds the login flow's page, where the message's link leads.
	UIURL func(id uuid.UUID) string
	Now   func() time.Time
}

var _ login.Method = (*LoginMethod)(nil)

// ID implements login.Method.
func (*LoginMethod) ID() string { return ID }

// AAL implements login.Method: the code is a first factor.
func (*LoginMethod) AAL() session.AAL { return session.AAL1 }

// Available implements login.Method: offered on first sign-ins, not to re-authenticate.
func (*LoginMethod) Available(ident *identity.Identity) bool { return ident == nil }

// Nodes implements login.Method: the address and the button that sends the code. The address
// is the flow's one identifier input (group default, as Kratos has it): the password method's
// when it is on, so a form never carries two fields named identifier.
func (*LoginMethod) Nodes(_ context.Context, f *login.Flow, _ *identity.Identity) error {
	if f.UI.Nodes.Find("identifier") == nil {
		label := text.New(text.InfoNodeLabelEmail, nil)
		f.UI.Nodes.Append(flow.NewInput(flow.GroupDefault, flow.InputAttributes{Name: "identifier", Type: flow.InputEmail, Required: true, Autocomplete: flow.AutocompleteEmail}, &label))
	}
	f.UI.Nodes.Append(flow.NewSubmit(flow.GroupCode, ID, text.New(text.InfoLoginCode, nil)))
	return nil
}

// Authenticate implements login.Method. Without a code (or with resend) it sends one and
// returns login.ErrPending; with a code it checks it and returns the identity it was sent to.
func (m *LoginMethod) Authenticate(ctx context.Context, r *http.Request, f *login.Flow, _ *identity.Identity, body form.Values) (*identity.Identity, error) {
	code := body.String("code")
	if code == "" || body.String("resend") != "" {
		return nil, m.send(ctx, f, body.String("identifier"))
	}
	c, err := m.Codes.Check(ctx, f.ID, onetime.PurposeLogin, code)
	switch {
	// A wrong code is a failed sign-in (login.Refused) under no identity, so it is counted,
	// not stored: the flow does not keep whose address the code went to, and the address
	// typed is never recorded.
	case errors.Is(err, onetime.ErrTooManyTries):
		return nil, login.Refused(uuid.Nil, flow.NewFormError(text.NewCodeSubmittedTooOften()))
	case errors.Is(err, onetime.ErrInvalid) || (err == nil && c.IdentityID == nil):
		return nil, login.Refused(uuid.Nil, flow.NewFormError(text.New(text.ErrorValidationLoginCodeInvalid, nil)))
	case err != nil:
		return nil, err
	}
	ident, err := m.Identities.GetIdentity(ctx, *c.IdentityID, true)
	if errors.Is(err, apierr.ErrNotFound) {
		return nil, login.Refused(uuid.Nil, flow.NewFormError(text.New(text.ErrorValidationLoginCodeInvalid, nil)))
	}
	if err != nil {
		return nil, err
	}
	if ident.State != "" && ident.State != identity.StateActive {
		return nil, login.Refused(ident.ID, flow.NewFormError(text.NewInvalidCredentials()))
	}
	// The code proved control of the address.
	if err := m.Identities.MarkAddressVerified(ctx, ident.ID, c.Via, c.Address, m.Now()); err != nil && !errors.Is(err, apierr.ErrNotFound) {
		return nil, err
	}
	return ident, nil
}

// send sends a code to the account holding address (or does the same work for an address no
// account holds) and shows the code form.
func (m *LoginMethod) send(ctx context.Context, f *login.Flow, raw string) error {
	address, fe := onetime.CheckEmail(f.UI.Nodes, "identifier", raw)
	if fe != nil {
		return fe
	}
	ident, err := m.Identities.FindByVerifiableAddress(ctx, "email", address)
	if errors.Is(err, apierr.ErrNotFound) {
		ident, err = nil, nil
	}
	if err != nil {
		return err
	}
	if ident != nil && ident.State != "" && ident.State != identity.StateActive {
		ident = nil // an inactive account gets no code, and the reply does not say so
	}
	return sendLoginCode(ctx, m.Codes, m.Mail, m.UIURL, f, ident, "identifier", address)
}

// sendLoginCode sends a sign-in code for f to address (held by ident; nil when no identity
// holds it, and then nothing goes out) and shows the code form, with address kept in the
// hidden input field (the identifier replaces the flow's identifier input, so the forms carry
// it once). It returns login.ErrPending.
func sendLoginCode(ctx context.Context, codes *onetime.Codes, mail onetime.Mailer, uiURL func(uuid.UUID) string,
	f *login.Flow, ident *identity.Identity, field, address string) error {
	d := onetime.Dispatch{Purpose: onetime.PurposeLogin, Method: onetime.MethodCode, FlowID: f.ID, Via: "email",
		Address: address, Identity: ident, RequestURL: f.RequestURL,
		URL: func(code string) string { return flow.AppendQuery(uiURL(f.ID), "code", code) }}
	if err := codes.Send(ctx, mail, d); err != nil {
		return err
	}
	f.State = StateSentEmail
	f.UI.Nodes.Remove(flow.GroupCode)
	kept := flow.NewInput(flow.GroupCode, flow.InputAttributes{Name: field, Type: flow.InputHidden, Value: address}, nil)
	if field == "identifier" {
		kept.Group = flow.GroupDefault
	}
	f.UI.Nodes.Upsert(kept)
	codeNodes(&f.UI.Nodes, text.New(text.InfoNodeLabelLoginCode, nil))
	f.UI.AddMessage(text.New(text.InfoLoginEmailWithCodeSent, nil))
	return login.ErrPending
}

// codeNodes appends the form that takes a code just sent: the code (labelled label), the
// button that submits it and the one that sends another.
func codeNodes(nodes *flow.Nodes, label text.Message) {
	resend := text.New(text.InfoNodeLabelResendOTP, nil)
	nodes.Append(
		flow.NewInput(flow.GroupCode, flow.InputAttributes{Name: "code", Type: flow.InputText, Required: true,
			Pattern: "[0-9]+", MaxLength: onetime.Digits, Autocomplete: flow.AutocompleteOneTimeCode}, &label),
		flow.NewSubmit(flow.GroupCode, ID, text.New(text.InfoNodeLabelContinue, nil)),
		flow.NewInput(flow.GroupCode, flow.InputAttributes{Name: "resend", Type: flow.InputSubmit, Value: ID}, &resend),
	)
}
