package code

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"time"

	"github.com/google/uuid"

	"github.com/portico-auth/portico/internal/apierr"
	"github.com/portico-auth/portico/internal/flow"
	"github.com/portico-auth/portico/internal/flow/form"
	"github.com/portico-auth/portico/internal/flow/registration"
	"github.com/portico-auth/portico/internal/identity"
	"github.com/portico-auth/portico/internal/onetime"
	"github.com/portico-auth/portico/internal/schema"
	"github.com/portico-auth/portico/internal/text"
)

// Creator creates identities (satisfied by *identity.Manager).
type Creator interface {
	Create(ctx context.Context, id *identity.Identity, opts identity.CreateOptions) error
}

// RegistrationMethod signs up with a code: the traits, then the code sent to the address they
// give. The identity is created (with that address verified) only when the code is right, so
// an address nobody controls never becomes an account.
type RegistrationMethod struct {
	Codes      *onetime.Codes
	Mail       onetime.Mailer
	Identities Creator
	Schemas    identity.Schemas
	// UIURL builds the registration flow's page, where the message's link leads.
	UIURL func(id uuid.UUID) string
	Now   func() time.Time
}

var _ registration.Method = (*RegistrationMethod)(nil)

// ID implements registration.Method.
func (*RegistrationMethod) ID() string { return ID }

// Nodes implements registration.Method: the traits (shared with the other methods) and the
// button that sends the code.
func (m *RegistrationMethod) Nodes(_ context.Context, f *registration.Flow) error {
	registration.AddTraitNodes(f, m.Schemas.Default())
	f.UI.Nodes.Append(flow.NewSubmit(flow.GroupCode, ID, text.New(text.InfoRegistrationCode, nil)))
	return nil
}

// Register implements registration.Method. Without a code (or with resend) it validates the
// traits, sends a code to their address and returns registration.ErrPending; with a code it
// checks it against the address the traits give now and creates the identity.
func (m *RegistrationMethod) Register(ctx context.Context, _ *http.Request, f *registration.Flow, body form.Values) (*identity.Identity, error) {
	s := m.Schemas.Default()
	raw, fe, err := registration.ReadTraits(s, f, body)
	if err != nil {
		return nil, err
	}
	if len(fe.Nodes) > 0 || len(fe.Messages) > 0 {
		return nil, fe
	}
	address, err := codeAddress(s, raw)
	if err != nil {
		return nil, err
	}
	if address == "" {
		// The schema gives no email address to send a code to.
		return nil, flow.NewFormError(text.New(text.ErrorValidationRegistrationNoStrategy, nil))
	}
	code := body.String("code")
	if code == "" || body.String("resend") != "" {
		return nil, m.send(ctx, f, address, raw)
	}
	c, err := m.Codes.Check(ctx, f.ID, onetime.PurposeRegistration, code)
	switch {
	case errors.Is(err, onetime.ErrTooManyTries):
		return nil, flow.NewFormError(text.NewCodeSubmittedTooOften())
	case errors.Is(err, onetime.ErrInvalid):
		return nil, flow.NewFormError(text.New(text.ErrorValidationRegistrationCodeInvalid, nil))
	case err != nil:
		return nil, err
	}
	if c.Address != address {
		// The code proves the address it was sent to, not the one the traits give now. Both
		// are in the one normalised form identifiers are compared in (schema.Extract's,
		// identity.NormalizeIdentifier's rule), so equal means the same address; case folding
		// on top would equate addresses the rest of Portico keeps apart.
		return nil, flow.NewFormError(text.New(text.ErrorValidationTraitsMismatch, nil))
	}
	// The code proved control of the address: the identity is created with it verified, in
	// the one write that creates it.
	now := m.Now().UTC()
	ident := &identity.Identity{SchemaID: s.ID, Traits: raw, VerifiableAddresses: []identity.VerifiableAddress{
		{Via: c.Via, Value: c.Address, Verified: true, Status: "completed", VerifiedAt: &now},
	}, Credentials: map[identity.CredentialsType]identity.Credentials{
		// Kratos's code credential: the manager fills in the addresses codes go to.
		identity.CredentialsCode: {Type: identity.CredentialsCode},
	}}
	if err := registration.Created(m.Identities.Create(ctx, ident, identity.CreateOptions{}), fe); err != nil {
		return nil, err
	}
	return ident, nil
}

// send sends a sign-up code to address and shows the code form, keeping the traits.
func (m *RegistrationMethod) send(ctx context.Context, f *registration.Flow, address string, raw json.RawMessage) error {
	var traits map[string]any
	if err := json.Unmarshal(raw, &traits); err != nil {
		return apierr.ErrBadRequest.WithCause(err)
	}
	d := onetime.Dispatch{Purpose: onetime.PurposeRegistration, Method: onetime.MethodCode, FlowID: f.ID, Via: "email",
		Address: address, Traits: traits, RequestURL: f.RequestURL,
		URL: func(code string) string { return flow.AppendQuery(m.UIURL(f.ID), "code", code) }}
	if err := m.Codes.Send(ctx, m.Mail, d); err != nil {
		return err
	}
	f.State = StateSentEmail
	f.UI.Nodes.Remove(flow.GroupCode)
	codeNodes(&f.UI.Nodes, text.New(text.InfoNodeLabelRegistrationCode, nil))
	f.UI.AddMessage(text.New(text.InfoRegistrationCodeSent, nil))
	return registration.ErrPending
}

// codeAddress is the email address a sign-up code goes to: the schema's code identifier, else
// its first email verification address.
func codeAddress(s *schema.Schema, traits json.RawMessage) (string, error) {
	ex, err := s.Extract(traits)
	if err != nil {
		return "", err
	}
	for _, a := range append(ex.CodeIdentifiers, ex.VerifiableAddresses...) {
		if a.Via == "email" {
			return a.Value, nil
		}
	}
	return "", nil
}
