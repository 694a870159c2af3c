// Package identity holds Portico's identity model: traits validated by a JSON Schema, the
// credentials an identity signs in with, and its verifiable and recovery addresses.
package identity

import (
	"encoding/json"
	"slices"
	"time"

	"github.com/google/uuid"
)

// State is an identity's state.
type State string

// The identity states Kratos knows.
const (
	StateActive   State = "active"
	StateInactive State = "inactive"
)

// CredentialsType names a way to authenticate.
type CredentialsType string

// The credential types Portico knows.
const (
	CredentialsPassword     CredentialsType = "password"
	CredentialsTOTP         CredentialsType = "totp"
	CredentialsLookupSecret CredentialsType = "lookup_secret"
	CredentialsWebAuthn     CredentialsType = "webauthn"
	CredentialsPasskey      CredentialsType = "passkey"
	// CredentialsCode names the addresses one-time sign-in codes go to (Kratos's code
	// credential): no secret, its config is a CodeConfig.
	CredentialsCode CredentialsType = "code"
	// CredentialsOIDC links an identity to an account at a social sign-in provider. Portico
	// has no OIDC method yet: links imported from Kratos are kept (shown by the admin API,
	// found by their provider:subject identifier) for when it has one.
	CredentialsOIDC CredentialsType = "oidc"
)

// Identity is a person or machine known to Portico.
type Identity struct {
	ID                  uuid.UUID                       `json:"id"`
	Credentials         map[CredentialsType]Credentials `json:"credentials,omitempty"`
	SchemaID            string                          `json:"schema_id"`
	SchemaURL           string                          `json:"schema_url"`
	State               State                           `json:"state"`
	StateChangedAt      *time.Time                      `json:"state_changed_at,omitempty"`
	Traits              json.RawMessage                 `json:"traits"`
	VerifiableAddresses []VerifiableAddress             `json:"verifiable_addresses"`
	RecoveryAddresses   []RecoveryAddress               `json:"recovery_addresses"`
	MetadataPublic      json.RawMessage                 `json:"metadata_public"`
	MetadataAdmin       json.RawMessage                 `json:"metadata_admin,omitempty"`
	CreatedAt           time.Time                       `json:"created_at"`
	UpdatedAt           time.Time                       `json:"updated_at"`
	OrganizationID      *uuid.UUID                      `json:"organization_id"`
	// ExternalID links the identity to another system's record of the person (Kratos's
	// external_id): unique across identities when set.
	ExternalID string `json:"external_id,omitempty"`

	// Version increases with every stored change; the store refuses an update whose Version
	// is not the stored one, so concurrent changes are detected, never lost.
	Version int `json:"-"`
}

// Credentials is one way an identity authenticates. Config holds the method's secret state
// (a password hash, a TOTP URL, …) and is never shown unless asked for.
type Credentials struct {
	ID          uuid.UUID       `json:"-"`
	Type        CredentialsType `json:"type"`
	Identifiers []string        `json:"identifiers"`
	Config      json.RawMessage `json:"config,omitempty"`
	Version     int             `json:"version"`
	CreatedAt   time.Time       `json:"created_at"`
	UpdatedAt   time.Time       `json:"updated_at"`
}

// VerifiableAddress is an address (e-mail, phone) that can be verified.
type VerifiableAddress struct {
	ID         uuid.UUID  `json:"id"`
	Value      string     `json:"value"`
	Verified   bool       `json:"verified"`
	Via        string     `json:"via"`
	Status     string     `json:"status"`
	VerifiedAt *time.Time `json:"verified_at,omitempty"`
	CreatedAt  time.Time  `json:"created_at"`
	UpdatedAt  time.Time  `json:"updated_at"`
}

// RecoveryAddress is an address an account can be recovered through.
type RecoveryAddress struct {
	ID        uuid.UUID `json:"id"`
	Value     string    `json:"value"`
	Via       string    `json:"via"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

// Clone returns a copy of i that shares nothing i could change or be changed through: its own
// credentials map, identifier lists and configs, address lists, JSON documents and pointed-to
// times. A nil i gives nil; nil collections stay nil.
func (i *Identity) Clone() *Identity {
	if i == nil {
		return nil
	}
	c := *i
	c.Credentials = CloneCredentials(i.Credentials)
	c.Traits = slices.Clone(i.Traits)
	c.MetadataPublic = slices.Clone(i.MetadataPublic)
	c.MetadataAdmin = slices.Clone(i.MetadataAdmin)
	c.StateChangedAt = cloneTime(i.StateChangedAt)
	if i.OrganizationID != nil {
		o := *i.OrganizationID
		c.OrganizationID = &o
	}
	c.VerifiableAddresses = CloneVerifiable(i.VerifiableAddresses)
	c.RecoveryAddresses = slices.Clone(i.RecoveryAddresses)
	return &c
}

// CloneCredentials copies a credentials map with its identifier lists and configs (nil stays
// nil).
func CloneCredentials(in map[CredentialsType]Credentials) map[CredentialsType]Credentials {
	if in == nil {
		return nil
	}
	out := make(map[CredentialsType]Credentials, len(in))
	for t, cr := range in {
		cr.Identifiers = slices.Clone(cr.Identifiers)
		cr.Config = slices.Clone(cr.Config)
		out[t] = cr
	}
	return out
}

// CloneVerifiable copies verifiable addresses with their verification times (nil stays nil).
func CloneVerifiable(in []VerifiableAddress) []VerifiableAddress {
	out := slices.Clone(in)
	for k := range out {
		out[k].VerifiedAt = cloneTime(out[k].VerifiedAt)
	}
	return out
}

func cloneTime(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	c := *t
	return &c
}

// HasCredentials reports whether the identity holds credentials of type t.
func (i *Identity) HasCredentials(t CredentialsType) bool {
	_, ok := i.Credentials[t]
	return ok
}

// WithoutCredentialConfigs returns a copy whose credentials show no secrets (config removed),
// except for the types listed in keep.
func (i *Identity) WithoutCredentialConfigs(keep ...CredentialsType) *Identity {
	c := *i
	if i.Credentials == nil {
		return &c
	}
	c.Credentials = make(map[CredentialsType]Credentials, len(i.Credentials))
	for t, cr := range i.Credentials {
		kept := false
		for _, k := range keep {
			if k == t {
				kept = true
			}
		}
		if !kept {
			cr.Config = nil
		}
		c.Credentials[t] = cr
	}
	return &c
}
