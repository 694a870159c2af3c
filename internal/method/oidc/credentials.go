package oidc

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/google/uuid"
	"golang.org/x/oauth2"

	"github.com/portico-auth/portico/internal/identity"
)

// CredentialConfig is the config of an identity's oidc credential, in Kratos's shape: one
// entry per linked provider account. The initial tokens are sealed (seal purpose "portico
// oidc upstream tokens", bound to the identity id and the provider's identifier); the admin
// API opens them only for include_credential=oidc.
type CredentialConfig struct {
	Providers []LinkedProvider `json:"providers"`
}

// LinkedProvider is one provider account linked to an identity.
type LinkedProvider struct {
	Subject             string `json:"subject"`
	Provider            string `json:"provider"`
	InitialIDToken      string `json:"initial_id_token"`
	InitialAccessToken  string `json:"initial_access_token"`
	InitialRefreshToken string `json:"initial_refresh_token"`
	Organization        string `json:"organization,omitempty"`
}

// Identifier is the credential identifier of a provider account: "<provider>:<subject>".
func Identifier(provider, subject string) string { return provider + ":" + subject }

// ReadConfig returns the identity's oidc config (empty when it has none).
func ReadConfig(ident *identity.Identity) (*CredentialConfig, error) {
	c := &CredentialConfig{}
	cr, ok := ident.Credentials[CredentialsType]
	if !ok || len(cr.Config) == 0 {
		return c, nil
	}
	if err := json.Unmarshal(cr.Config, c); err != nil {
		return nil, fmt.Errorf("decode oidc credential: %w", err)
	}
	return c, nil
}

// link adds provider account (provider, subject) with its tokens (sealed) to ident's oidc
// credential, in memory.
func (s *Strategy) link(ident *identity.Identity, provider, subject string, tok *oauth2.Token, now time.Time) error {
	lp, err := s.account(ident.ID, provider, subject, tok)
	if err != nil {
		return err
	}
	return addAccount(ident, lp, now)
}

// account is provider account (provider, subject) as identity id's credential keeps it, its
// tokens sealed for that identity.
func (s *Strategy) account(id uuid.UUID, provider, subject string, tok *oauth2.Token) (LinkedProvider, error) {
	lp := LinkedProvider{Subject: subject, Provider: provider}
	if tok == nil {
		return lp, nil
	}
	aad := []byte(id.String() + "\x00" + Identifier(provider, subject))
	idt, _ := tok.Extra("id_token").(string)
	for _, t := range []struct {
		dst   *string
		plain string
	}{{&lp.InitialIDToken, idt}, {&lp.InitialAccessToken, tok.AccessToken}, {&lp.InitialRefreshToken, tok.RefreshToken}} {
		if t.plain == "" {
			continue
		}
		var err error
		if *t.dst, err = s.Tokens.Seal([]byte(t.plain), aad); err != nil {
			return lp, err
		}
	}
	return lp, nil
}

// addAccount adds lp to ident's oidc credential, in memory.
func addAccount(ident *identity.Identity, lp LinkedProvider, now time.Time) error {
	cfg, err := ReadConfig(ident)
	if err != nil {
		return err
	}
	cfg.Providers = append(cfg.Providers, lp)
	return writeConfig(ident, cfg, now)
}

// removeAccount removes account (provider, subject) from ident's oidc credential, in memory
// (the credential goes when its last account does), and reports whether it was there.
func removeAccount(ident *identity.Identity, provider, subject string, now time.Time) (bool, error) {
	return Accounts{}.Unlink(ident, Identifier(provider, subject), now)
}

// Accounts keep the provider accounts of an identity's oidc credential in this method's format,
// for the admin API (admin.OIDCAccounts): the accounts an import links and the one a deletion
// removes. It needs no provider configured: the admin API links and removes accounts of any
// provider id.
type Accounts struct{}

// Link adds provider account (provider, subject) without tokens (an import has none) to ident's
// oidc credential, in memory.
func (Accounts) Link(ident *identity.Identity, provider, subject string, now time.Time) error {
	return addAccount(ident, LinkedProvider{Subject: subject, Provider: provider}, now)
}

// Unlink removes the account whose identifier ("<provider>:<subject>") is identifier from
// ident's oidc credential, in memory, keeping the other accounts (their sealed tokens
// included); the credential goes with its last account. It reports whether the account was
// there.
func (Accounts) Unlink(ident *identity.Identity, identifier string, now time.Time) (bool, error) {
	cfg, err := ReadConfig(ident)
	if err != nil {
		return false, err
	}
	kept := cfg.Providers[:0:0]
	for _, p := range cfg.Providers {
		if Identifier(p.Provider, p.Subject) != identifier {
			kept = append(kept, p)
		}
	}
	if len(kept) == len(cfg.Providers) {
		return false, nil
	}
	if len(kept) == 0 {
		delete(ident.Credentials, CredentialsType)
		return true, nil
	}
	cfg.Providers = kept
	return true, writeConfig(ident, cfg, now)
}

// writeConfig stores cfg as ident's oidc credential, in memory, with one identifier per
// account.
func writeConfig(ident *identity.Identity, cfg *CredentialConfig, now time.Time) error {
	raw, err := json.Marshal(cfg)
	if err != nil {
		return err
	}
	cr := ident.Credentials[CredentialsType]
	if cr.CreatedAt.IsZero() {
		cr.CreatedAt = now
	}
	cr.Type, cr.Config, cr.UpdatedAt = CredentialsType, raw, now
	cr.Identifiers = nil
	for _, p := range cfg.Providers {
		cr.Identifiers = append(cr.Identifiers, Identifier(p.Provider, p.Subject))
	}
	if ident.Credentials == nil {
		ident.Credentials = map[identity.CredentialsType]identity.Credentials{}
	}
	ident.Credentials[CredentialsType] = cr
	return nil
}

// RevealConfig is the oidc credential config of identity id with the initial tokens opened,
// for the admin API's include_credential=oidc; a token no secret opens is left out, and a
// config that cannot be read is shown without tokens.
func (s *Strategy) RevealConfig(id uuid.UUID, raw json.RawMessage) json.RawMessage {
	var cfg CredentialConfig
	if err := json.Unmarshal(raw, &cfg); err != nil {
		return json.RawMessage(`{"providers":[]}`)
	}
	out, err := json.Marshal(s.openTokens(id.String(), &cfg))
	if err != nil {
		return json.RawMessage(`{"providers":[]}`)
	}
	return out
}

func (s *Strategy) openTokens(id string, cfg *CredentialConfig) *CredentialConfig {
	out := &CredentialConfig{Providers: make([]LinkedProvider, len(cfg.Providers))}
	for i, p := range cfg.Providers {
		aad := []byte(id + "\x00" + Identifier(p.Provider, p.Subject))
		for _, t := range []*string{&p.InitialIDToken, &p.InitialAccessToken, &p.InitialRefreshToken} {
			if *t == "" {
				continue
			}
			plain, err := s.Tokens.Open(*t, aad)
			if err != nil {
				*t = ""
				continue
			}
			*t = string(plain)
		}
		out.Providers[i] = p
	}
	return out
}

// linked reports whether ident has any provider account of a configured provider.
func (s *Strategy) linked(ident *identity.Identity) bool {
	if ident == nil {
		return false
	}
	cfg, err := ReadConfig(ident)
	if err != nil {
		return false
	}
	for _, p := range cfg.Providers {
		if _, ok := s.byID[p.Provider]; ok {
			return true
		}
	}
	return false
}
