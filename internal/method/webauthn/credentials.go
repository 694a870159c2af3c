package webauthn

import (
	"encoding/hex"
	"encoding/json"
	"fmt"
	"time"

	lib "github.com/go-webauthn/webauthn/webauthn"

	"github.com/go-webauthn/webauthn/protocol"

	"github.com/portico-auth/portico/internal/identity"
)

// Config is the credential config stored for the webauthn and passkey credential types: the
// registered keys and the user handle the authenticators know the identity by.
type Config struct {
	Credentials []Key `json:"credentials"`
	// UserHandle is the WebAuthn user id given to every authenticator of this identity.
	UserHandle []byte `json:"user_handle"`
}

// Key is one registered authenticator.
type Key struct {
	ID              []byte        `json:"id"`
	PublicKey       []byte        `json:"public_key"`
	AttestationType string        `json:"attestation_type"`
	Authenticator   Authenticator `json:"authenticator"`
	DisplayName     string        `json:"display_name"`
	AddedAt         time.Time     `json:"added_at"`
	IsPasswordless  bool          `json:"is_passwordless"`
	Transports      []string      `json:"transports,omitempty"`
	Flags           Flags         `json:"flags"`
}

// Authenticator is what is known about the device that holds a key.
type Authenticator struct {
	AAGUID       []byte `json:"aaguid"`
	SignCount    uint32 `json:"sign_count"`
	CloneWarning bool   `json:"clone_warning"`
}

// Flags are the authenticator data flags seen at registration; the backup flags must stay
// consistent across assertions.
type Flags struct {
	UserPresent    bool `json:"user_present"`
	UserVerified   bool `json:"user_verified"`
	BackupEligible bool `json:"backup_eligible"`
	BackupState    bool `json:"backup_state"`
}

// HexID is the key's id as the *_remove nodes carry it.
func (k Key) HexID() string { return hex.EncodeToString(k.ID) }

// ReadConfig returns the config of the identity's credentials of type t (empty when it has
// none).
func ReadConfig(ident *identity.Identity, t identity.CredentialsType) (*Config, error) {
	c := &Config{}
	if ident == nil {
		return c, nil
	}
	cr, ok := ident.Credentials[t]
	if !ok || len(cr.Config) == 0 || string(cr.Config) == "null" {
		return c, nil
	}
	if err := json.Unmarshal(cr.Config, c); err != nil {
		return nil, fmt.Errorf("decode %s credentials: %w", t, err)
	}
	return c, nil
}

// WriteConfig stores c as the identity's credentials of type t with the given identifiers, or
// drops the credentials when c holds no key. Call the identity manager's Update to persist.
func WriteConfig(ident *identity.Identity, t identity.CredentialsType, c *Config, identifiers []string, now time.Time) error {
	if len(c.Credentials) == 0 {
		delete(ident.Credentials, t)
		return nil
	}
	raw, err := json.Marshal(c)
	if err != nil {
		return fmt.Errorf("encode %s credentials: %w", t, err)
	}
	if ident.Credentials == nil {
		ident.Credentials = map[identity.CredentialsType]identity.Credentials{}
	}
	cr, ok := ident.Credentials[t]
	if !ok {
		cr = identity.Credentials{Type: t, Version: 1, CreatedAt: now}
	}
	if identifiers != nil {
		cr.Identifiers = identifiers
	}
	if cr.Identifiers == nil {
		cr.Identifiers = []string{}
	}
	cr.Config = raw
	cr.UpdatedAt = now
	ident.Credentials[t] = cr
	return nil
}

// Find returns the index of the key with the given id, or -1.
func (c *Config) Find(id []byte) int {
	for i, k := range c.Credentials {
		if string(k.ID) == string(id) {
			return i
		}
	}
	return -1
}

// FindHex returns the index of the key whose HexID is h, or -1.
func (c *Config) FindHex(h string) int {
	for i, k := range c.Credentials {
		if k.HexID() == h {
			return i
		}
	}
	return -1
}

// keyFromLibrary converts a credential the library verified into a stored key.
func keyFromLibrary(cr *lib.Credential, name string, passwordless bool, now time.Time) Key {
	k := Key{
		ID: cr.ID, PublicKey: cr.PublicKey, AttestationType: cr.AttestationType,
		Authenticator: Authenticator{AAGUID: cr.Authenticator.AAGUID, SignCount: cr.Authenticator.SignCount, CloneWarning: cr.Authenticator.CloneWarning},
		DisplayName:   name, AddedAt: now.UTC(), IsPasswordless: passwordless,
		Flags: Flags{
			UserPresent: cr.Flags.UserPresent, UserVerified: cr.Flags.UserVerified,
			BackupEligible: cr.Flags.BackupEligible, BackupState: cr.Flags.BackupState,
		},
	}
	for _, t := range cr.Transport {
		k.Transports = append(k.Transports, string(t))
	}
	return k
}

// library is the key as the library verifies assertions against it.
func (k Key) library() lib.Credential {
	cr := lib.Credential{
		ID: k.ID, PublicKey: k.PublicKey, AttestationType: k.AttestationType,
		Authenticator: lib.Authenticator{AAGUID: k.Authenticator.AAGUID, SignCount: k.Authenticator.SignCount, CloneWarning: k.Authenticator.CloneWarning},
		Flags: lib.CredentialFlags{
			UserPresent: k.Flags.UserPresent, UserVerified: k.Flags.UserVerified,
			BackupEligible: k.Flags.BackupEligible, BackupState: k.Flags.BackupState,
		},
	}
	for _, t := range k.Transports {
		cr.Transport = append(cr.Transport, protocol.AuthenticatorTransport(t))
	}
	return cr
}

// User is an identity as the library sees it: its user handle, a name and the keys of one
// credential type (filtered by Keep when set).
type User struct {
	Handle  []byte
	Name    string
	Display string
	Keys    []Key
}

// WebAuthnID implements the library's User.
func (u *User) WebAuthnID() []byte { return u.Handle }

// WebAuthnName implements the library's User.
func (u *User) WebAuthnName() string { return u.Name }

// WebAuthnDisplayName implements the library's User.
func (u *User) WebAuthnDisplayName() string { return u.Display }

// WebAuthnCredentials implements the library's User.
func (u *User) WebAuthnCredentials() []lib.Credential {
	out := make([]lib.Credential, 0, len(u.Keys))
	for _, k := range u.Keys {
		out = append(out, k.library())
	}
	return out
}

// NewKey converts a credential the relying party verified at registration into a stored key
// (for methods outside this package, such as passkey sign-up).
func NewKey(cr *lib.Credential, name string, passwordless bool, now time.Time) Key {
	return keyFromLibrary(cr, name, passwordless, now)
}
