package identity_test

import (
	"slices"
	"testing"

	"github.com/portico-auth/portico/internal/identity"
)

func holding(types ...identity.CredentialsType) *identity.Identity {
	i := &identity.Identity{Credentials: map[identity.CredentialsType]identity.Credentials{}}
	for _, t := range types {
		i.Credentials[t] = identity.Credentials{Type: t}
	}
	return i
}

func has(t identity.CredentialsType) func(*identity.Identity) bool {
	return func(i *identity.Identity) bool { return i.HasCredentials(t) }
}

func TestFactors(t *testing.T) {
	fs := identity.Factors{
		{Method: "password", Usable: has(identity.CredentialsPassword)},
		{Method: "passkey", Usable: has(identity.CredentialsPasskey)},
		{Method: "totp", Second: true, Usable: has(identity.CredentialsTOTP)},
	}
	tests := []struct {
		name    string
		ident   *identity.Identity
		highest string
		first   []string
	}{
		{"password", holding(identity.CredentialsPassword), "aal1", []string{"password"}},
		{"password and totp", holding(identity.CredentialsPassword, identity.CredentialsTOTP), "aal2", []string{"password"}},
		// A credential no enabled method uses counts for nothing.
		{"webauthn only, no method for it", holding(identity.CredentialsWebAuthn), "aal1", nil},
		{"passkey and password", holding(identity.CredentialsPasskey, identity.CredentialsPassword), "aal1", []string{"password", "passkey"}},
		{"nil identity", nil, "aal1", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := fs.HighestAAL(tt.ident); got != tt.highest {
				t.Errorf("HighestAAL %s, want %s", got, tt.highest)
			}
			if got := fs.FirstFactors(tt.ident); !slices.Equal(got, tt.first) {
				t.Errorf("FirstFactors %v, want %v", got, tt.first)
			}
		})
	}
	// With TOTP switched off (no such method), the same identity is aal1 at most.
	if got := fs[:2].HighestAAL(holding(identity.CredentialsPassword, identity.CredentialsTOTP)); got != "aal1" {
		t.Errorf("TOTP off: %s", got)
	}
	// KeepsSignIn: the last usable first factor may not go; an identity that could not sign in
	// before is not made worse.
	if fs.KeepsSignIn(true, holding(identity.CredentialsTOTP)) {
		t.Error("removing the last first factor was allowed")
	}
	if !fs.KeepsSignIn(true, holding(identity.CredentialsPasskey)) || !fs.KeepsSignIn(false, holding()) {
		t.Error("a change that keeps a way in (or changes nothing about it) was refused")
	}
}
