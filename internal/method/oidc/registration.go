package oidc

import (
	"context"
	"net/http"

	"github.com/google/uuid"

	"github.com/portico-auth/portico/internal/flow"
	"github.com/portico-auth/portico/internal/flow/form"
	"github.com/portico-auth/portico/internal/flow/registration"
	"github.com/portico-auth/portico/internal/identity"
	"github.com/portico-auth/portico/internal/text"
)

// RegistrationMethod is the oidc method of the registration flow.
type RegistrationMethod struct{ *Strategy }

var _ registration.Method = RegistrationMethod{}

// Claims implements flow.Claimer: a provider button submits no method.
func (RegistrationMethod) Claims(body form.Values) bool { return claims(body) }

// ID implements registration.Method.
func (RegistrationMethod) ID() string { return ID }

// Nodes implements registration.Method: one "provider" button per provider.
func (m RegistrationMethod) Nodes(_ context.Context, f *registration.Flow) error {
	for _, p := range m.providers {
		f.UI.Nodes.Append(providerNode(p, text.InfoRegistrationWith))
	}
	return nil
}

// Register implements registration.Method: a browser flow is sent to the provider (the
// callback creates the identity); a native app's flow signs up with an ID token.
func (m RegistrationMethod) Register(ctx context.Context, r *http.Request, f *registration.Flow, body form.Values) (*identity.Identity, error) {
	provider := body.String("provider")
	if f.Type == flow.TypeAPI {
		return m.nativeSignUp(ctx, r, f, provider, body)
	}
	return nil, m.start(ctx, r, &f.Base, registration.Kind, provider, uuid.Nil)
}
