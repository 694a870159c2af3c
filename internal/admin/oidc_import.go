package admin

import (
	"encoding/json"
	"strings"

	"github.com/portico-auth/portico/internal/apierr"
	"github.com/portico-auth/portico/internal/identity"
)

// oidcImport is identityWithCredentialsOidc: provider accounts linked when the identity is
// created (Kratos's social sign-in import).
type oidcImport struct {
	Config *struct {
		Providers []oidcImportProvider `json:"providers"`
	} `json:"config"`
}

// oidcImportProvider is identityWithCredentialsOidcConfigProvider.
type oidcImportProvider struct {
	Provider     string          `json:"provider"`
	Subject      string          `json:"subject"`
	UseAutoLink  bool            `json:"use_auto_link"`
	Organization json.RawMessage `json:"organization"`
}

// Bounds of an import: accounts per identity, and the length of a provider id or subject.
const (
	maxOIDCAccounts = 100
	maxOIDCField    = 255
)

// accounts checks the imported accounts and returns them (none when none are given): each
// becomes an account of the identity's oidc credential (identifier "<provider>:<subject>").
// use_auto_link (linking on the provider's address at the first sign-in, without a subject)
// and organizations are refused: Portico links by address only after the person proves the
// existing account.
func (o *oidcImport) accounts() ([]oidcImportProvider, error) {
	if o == nil || o.Config == nil || len(o.Config.Providers) == 0 {
		return nil, nil
	}
	ps := o.Config.Providers
	if len(ps) > maxOIDCAccounts {
		return nil, apierr.ErrBadRequest.WithReason("At most %d oidc accounts can be imported per identity.", maxOIDCAccounts)
	}
	seen := map[string]bool{}
	for i, p := range ps {
		switch {
		case p.Provider == "" || p.Subject == "":
			return nil, apierr.ErrBadRequest.WithReason("credentials.oidc.config.providers[%d]: provider and subject are required.", i)
		case len(p.Provider) > maxOIDCField || len(p.Subject) > maxOIDCField:
			return nil, apierr.ErrBadRequest.WithReason("credentials.oidc.config.providers[%d]: provider and subject are at most %d bytes.", i, maxOIDCField)
		case strings.Contains(p.Provider, ":"):
			// The identifier is "<provider>:<subject>": such a provider id would name another
			// provider's account (provider "a:b", subject "c" is provider "a", subject "b:c").
			return nil, apierr.ErrBadRequest.WithReason("credentials.oidc.config.providers[%d]: a provider id has no ':'.", i)
		case p.UseAutoLink:
			return nil, apierr.ErrBadRequest.WithReason("credentials.oidc.config.providers[%d]: use_auto_link is not supported.", i)
		case len(nullIfEmpty(p.Organization)) > 0:
			return nil, apierr.ErrBadRequest.WithReason("credentials.oidc.config.providers[%d]: organizations are not supported.", i)
		}
		id := p.Provider + ":" + p.Subject
		if seen[id] {
			return nil, apierr.ErrBadRequest.WithReason("credentials.oidc.config.providers[%d]: the account %s is given twice.", i, id)
		}
		seen[id] = true
	}
	return ps, nil
}

// linkOIDC links the imported accounts to id through the oidc method's format (OIDC); without
// it, importing oidc credentials is refused.
func (h *IdentityHandler) linkOIDC(id *identity.Identity, accounts []oidcImportProvider) error {
	if len(accounts) == 0 {
		return nil
	}
	if h.OIDC == nil {
		return apierr.ErrBadRequest.WithReason("Importing %s credentials is not supported.", identity.CredentialsOIDC)
	}
	now := h.now()
	for _, a := range accounts {
		if err := h.OIDC.Link(id, a.Provider, a.Subject, now); err != nil {
			return err
		}
	}
	return nil
}
