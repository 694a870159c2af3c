package config

import (
	"fmt"
	"regexp"
	"strings"
)

// OIDCMethod is selfservice.methods.oidc: sign-up and sign-in with OpenID Connect and OAuth2
// providers.
type OIDCMethod struct {
	Enabled bool       `yaml:"enabled"`
	Config  OIDCConfig `yaml:"config"`
}

// OIDCConfig is selfservice.methods.oidc.config.
type OIDCConfig struct {
	// BaseRedirectURI replaces the public base URL in the callback address given to providers
	// (Kratos's base_redirect_uri), for a deployment reached under another host.
	BaseRedirectURI string         `yaml:"base_redirect_uri"`
	Providers       []OIDCProvider `yaml:"providers"`
}

// OIDCProvider is one entry of selfservice.methods.oidc.config.providers, with Kratos's keys.
type OIDCProvider struct {
	// ID names the provider in the callback path, the provider node's value and the
	// credential identifiers ("<id>:<subject>"); it must never change once used.
	ID string `yaml:"id"`
	// Provider is the kind: generic, google, github, github-app, gitlab, microsoft, discord,
	// slack, auth0, keycloak, apple, linkedin, facebook, spotify, amazon, patreon, yandex
	// (OIDCProviderKinds).
	Provider     string `yaml:"provider"`
	Label        string `yaml:"label"`
	ClientID     string `yaml:"client_id"`
	ClientSecret string `yaml:"client_secret"`
	// IssuerURL is the OpenID issuer (discovery at IssuerURL/.well-known/openid-configuration).
	IssuerURL string `yaml:"issuer_url"`
	// AuthURL and TokenURL replace the discovered or built-in endpoints.
	AuthURL  string `yaml:"auth_url"`
	TokenURL string `yaml:"token_url"`
	// MapperURL is the Jsonnet that turns the provider's claims into traits: file://,
	// base64:// or http(s)://.
	MapperURL string   `yaml:"mapper_url"`
	Scope     []string `yaml:"scope"`
	// RequestedClaims is the OpenID "claims" request parameter, sent as JSON.
	RequestedClaims any `yaml:"requested_claims"`
	// MicrosoftTenant is the tenant of the microsoft kind: common (the default),
	// organizations, consumers or a tenant id.
	MicrosoftTenant string `yaml:"microsoft_tenant"`
	// SubjectSource is where the microsoft kind takes the subject from: "userinfo" (the
	// default, the tenant-specific sub) or "me" (the Graph object id).
	SubjectSource string `yaml:"subject_source"`
	// Apple's client secret is a JWT Portico signs with this key (PEM, ES256) when
	// ClientSecret is empty.
	AppleTeamID       string `yaml:"apple_team_id"`
	ApplePrivateKeyID string `yaml:"apple_private_key_id"`
	ApplePrivateKey   string `yaml:"apple_private_key"`
	// AdditionalIDTokenAudiences are audiences accepted besides ClientID for ID tokens
	// submitted by native apps (id_token + id_token_nonce).
	AdditionalIDTokenAudiences []string `yaml:"additional_id_token_audiences"`
	// PKCE is auto, force or never (Kratos's key). Portico sends PKCE on every request
	// unless it is "never" (for the rare provider that refuses the parameters).
	PKCE string `yaml:"pkce"`
	// ClaimsSource is id_token (the default) or userinfo: where the claims of an OpenID
	// provider are read from.
	ClaimsSource string `yaml:"claims_source"`
	// OrganizationID is accepted for compatibility; Portico has no organizations.
	OrganizationID string `yaml:"organization_id"`
}

// OIDCProviderKinds are the provider kinds Portico implements.
var OIDCProviderKinds = []string{"generic", "google", "github", "github-app", "gitlab", "microsoft", "discord", "slack", "auth0", "keycloak", "apple", "linkedin", "facebook", "spotify", "amazon", "patreon", "yandex"}

// oidcProviderID is what a provider id may hold: it is a path segment and half of a
// credential identifier.
var oidcProviderID = regexp.MustCompile(`^[A-Za-z0-9._-]{1,64}$`)

// validateOIDC checks selfservice.methods.oidc when it is enabled.
func (c *Config) validateOIDC() error {
	m := c.SelfService.Methods.OIDC
	if !m.Enabled {
		return nil
	}
	const path = "selfservice.methods.oidc.config"
	if m.Config.BaseRedirectURI != "" {
		if err := absURL(path+".base_redirect_uri", m.Config.BaseRedirectURI); err != nil {
			return err
		}
	}
	seen := map[string]bool{}
	for i := range m.Config.Providers {
		p := &m.Config.Providers[i]
		at := fmt.Sprintf("%s.providers[%d]", path, i)
		if !oidcProviderID.MatchString(p.ID) {
			return invalid(at+".id", "must be 1 to 64 letters, digits, '.', '_' or '-', got %q", p.ID)
		}
		if seen[p.ID] {
			return invalid(at+".id", "%q is used by another provider", p.ID)
		}
		seen[p.ID] = true
		if err := oneOf(at+".provider", p.Provider, OIDCProviderKinds...); err != nil {
			return err
		}
		if p.ClientID == "" {
			return invalid(at+".client_id", "required")
		}
		if p.MapperURL == "" {
			return invalid(at+".mapper_url", "required: a Jsonnet mapper (file://, base64:// or http(s)://)")
		}
		if err := documentURL(at+".mapper_url", p.MapperURL); err != nil {
			return err
		}
		for _, u := range []struct{ key, raw string }{{"issuer_url", p.IssuerURL}, {"auth_url", p.AuthURL}, {"token_url", p.TokenURL}} {
			if u.raw != "" {
				if err := absURL(at+"."+u.key, u.raw); err != nil {
					return err
				}
			}
		}
		if p.PKCE == "" {
			p.PKCE = "auto"
		}
		if err := oneOf(at+".pkce", p.PKCE, "auto", "force", "never"); err != nil {
			return err
		}
		if p.ClaimsSource == "" {
			p.ClaimsSource = "id_token"
		}
		if err := oneOf(at+".claims_source", p.ClaimsSource, "id_token", "userinfo"); err != nil {
			return err
		}
		if err := validateOIDCKind(at, p); err != nil {
			return err
		}
	}
	return nil
}

// validateOIDCKind checks what one provider kind needs.
func validateOIDCKind(at string, p *OIDCProvider) error {
	switch p.Provider {
	case "generic", "keycloak", "auth0":
		if p.IssuerURL == "" {
			return invalid(at+".issuer_url", "required for provider %q", p.Provider)
		}
	case "microsoft":
		if p.MicrosoftTenant == "" {
			p.MicrosoftTenant = "common"
		}
		if strings.ContainsAny(p.MicrosoftTenant, "/?#") {
			return invalid(at+".microsoft_tenant", "must be a tenant name or id, got %q", p.MicrosoftTenant)
		}
		if p.SubjectSource == "" {
			p.SubjectSource = "userinfo"
		}
		if err := oneOf(at+".subject_source", p.SubjectSource, "userinfo", "me"); err != nil {
			return err
		}
	case "apple":
		if p.ClientSecret == "" && (p.AppleTeamID == "" || p.ApplePrivateKeyID == "" || p.ApplePrivateKey == "") {
			return invalid(at, "apple needs client_secret, or apple_team_id, apple_private_key_id and apple_private_key to sign one")
		}
	}
	if p.Provider != "apple" && p.ClientSecret == "" {
		return invalid(at+".client_secret", "required for provider %q", p.Provider)
	}
	return nil
}
