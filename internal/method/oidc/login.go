package oidc

import (
	"context"
	"net/http"

	"github.com/google/uuid"

	"github.com/portico-auth/portico/internal/flow"
	"github.com/portico-auth/portico/internal/flow/form"
	"github.com/portico-auth/portico/internal/flow/login"
	"github.com/portico-auth/portico/internal/identity"
	"github.com/portico-auth/portico/internal/session"
	"github.com/portico-auth/portico/internal/text"
)

// LoginMethod is the oidc method of the login flow.
type LoginMethod struct{ *Strategy }

var _ login.Method = LoginMethod{}

// Claims implements flow.Claimer: a provider button submits no method.
func (LoginMethod) Claims(body form.Values) bool { return claims(body) }

// ID implements login.Method.
func (LoginMethod) ID() string { return ID }

// AAL implements login.Method: a provider account is a first factor.
func (LoginMethod) AAL() session.AAL { return session.AAL1 }

// Available implements login.Method: offered on every first login; on a refresh only to an
// identity with a linked provider (which also makes it a first factor in identity.Factors).
func (m LoginMethod) Available(ident *identity.Identity) bool {
	return ident == nil || m.linked(ident)
}

// Nodes implements login.Method: one "provider" button per provider (on a refresh, per
// provider the identity has linked).
func (m LoginMethod) Nodes(_ context.Context, f *login.Flow, ident *identity.Identity) error {
	var mine map[string]bool
	if ident != nil {
		cfg, err := ReadConfig(ident)
		if err != nil {
			return err
		}
		mine = map[string]bool{}
		for _, p := range cfg.Providers {
			mine[p.Provider] = true
		}
	}
	for _, p := range m.providers {
		if mine == nil || mine[p.Config().ID] {
			f.UI.Nodes.Append(providerNode(p, text.InfoLoginWith))
		}
	}
	return nil
}

// Authenticate implements login.Method. A browser flow is sent to the provider; the
// callback finishes it. A native app's flow signs in with an ID token it got from the
// provider's SDK (id_token and id_token_nonce).
func (m LoginMethod) Authenticate(ctx context.Context, r *http.Request, f *login.Flow, ident *identity.Identity, body form.Values) (*identity.Identity, error) {
	provider := body.String("provider")
	if f.Type == flow.TypeAPI {
		found, err := m.nativeSignIn(ctx, r, f, provider, body)
		if err != nil {
			return nil, err
		}
		if ident != nil && found.ID != ident.ID {
			return nil, login.ErrInvalidCredentials()
		}
		return found, nil
	}
	return nil, m.start(ctx, r, &f.Base, login.Kind, provider, uuid.Nil)
}
