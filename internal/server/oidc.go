package server

import (
	"context"
	"encoding/json"
	"net/url"

	"github.com/google/uuid"

	"github.com/portico-auth/portico/internal/identity"
	"github.com/portico-auth/portico/internal/method/oidc"
)

// newOIDC builds the oidc method from selfservice.methods.oidc, or nil when it is off.
func newOIDC(ctx context.Context, a *App) (*oidc.Strategy, error) {
	m := a.Config.SelfService.Methods.OIDC
	if !m.Enabled {
		return nil, nil
	}
	providers := make([]oidc.ProviderConfig, len(m.Config.Providers))
	for i, p := range m.Config.Providers {
		providers[i] = oidc.ProviderConfig(p)
	}
	s, err := oidc.NewStrategy(ctx, providers, nil, a.Store, a.Config.SealSecrets())
	if err != nil {
		return nil, err
	}
	s.CSRF, s.Identities, s.Manager, s.Schemas = a.CSRF, a.Store, a.Identities, a.Schemas
	s.RedirectBase, s.Now, s.Log = a.Config.PublicURL(), a.Now, a.Log
	s.Links.CSRF, s.Links.Identities, s.Links.Manager, s.Links.Now = a.CSRF, a.Store, a.Identities, a.Now
	if m.Config.BaseRedirectURI != "" {
		u, err := url.Parse(m.Config.BaseRedirectURI)
		if err != nil {
			return nil, err
		}
		s.RedirectBase = u
	}
	return s, nil
}

// revealOIDC lets the admin API show the upstream tokens of the oidc credential (sealed at
// rest) to include_credential=oidc.
func revealOIDC(s *oidc.Strategy) map[identity.CredentialsType]func(uuid.UUID, json.RawMessage) json.RawMessage {
	return map[identity.CredentialsType]func(uuid.UUID, json.RawMessage) json.RawMessage{oidc.CredentialsType: s.RevealConfig}
}
