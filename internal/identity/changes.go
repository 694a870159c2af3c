package identity

import (
	"bytes"
	"strings"
)

// ChangeRecoveryAddress is what CredentialChanges reports when the addresses that can recover
// the account changed.
const ChangeRecoveryAddress = "recovery_address"

// CredentialChanges lists what changed between before and after that touches how the account
// is signed in to or recovered: each credential type (password, totp, lookup_secret, webauthn,
// passkey) whose stored credential differs (added, removed or replaced), then
// ChangeRecoveryAddress when the set of recovery addresses differs (case aside). A profile edit
// that touches neither yields nothing. The credential_changed notices and the revocation of
// the other sessions after such a change both follow it.
func CredentialChanges(before, after *Identity) []string {
	if before == nil || after == nil {
		return nil
	}
	var out []string
	for _, t := range []CredentialsType{CredentialsPassword, CredentialsTOTP,
		CredentialsLookupSecret, CredentialsWebAuthn, CredentialsPasskey} {
		b, inB := before.Credentials[t]
		a, inA := after.Credentials[t]
		if inB != inA || !bytes.Equal(b.Config, a.Config) {
			out = append(out, string(t))
		}
	}
	if !sameRecoveryAddresses(before.RecoveryAddresses, after.RecoveryAddresses) {
		out = append(out, ChangeRecoveryAddress)
	}
	return out
}

func sameRecoveryAddresses(a, b []RecoveryAddress) bool {
	set := func(l []RecoveryAddress) map[string]bool {
		m := map[string]bool{}
		for _, x := range l {
			m[x.Via+"\x00"+strings.ToLower(x.Value)] = true
		}
		return m
	}
	sa, sb := set(a), set(b)
	if len(sa) != len(sb) {
		return false
	}
	for k := range sa {
		if !sb[k] {
			return false
		}
	}
	return true
}
