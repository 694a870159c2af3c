package webauthn

import (
	"github.com/go-webauthn/webauthn/protocol"
)

// PasskeyUserVerification is what passkey ceremonies (sign-up, settings, login) ask of the
// authenticator. A passkey is a whole sign-in by itself, so mere presence (a touch) is not
// enough: the authenticator must verify the user (PIN, biometrics), as WebAuthn's passwordless
// variant requires too. WebAuthn as a second factor keeps "preferred"/"discouraged".
const PasskeyUserVerification = protocol.VerificationRequired

// errUserNotVerified is the refusal of an answer without the UV flag; FailureMessage shows its
// details.
var errUserNotVerified = protocol.ErrVerification.WithDetails("The authenticator did not verify the user (PIN or biometrics), which passkeys require.")

// RequireUserVerifiedCreation refuses a passkey creation answer whose authenticator data lacks the
// user-verified flag. The relying party checks it too when the ceremony asked for
// PasskeyUserVerification; this check does not depend on what a stored ceremony asked for.
func RequireUserVerifiedCreation(p *protocol.ParsedCredentialCreationData) error {
	if p == nil || !p.Response.AttestationObject.AuthData.Flags.HasUserVerified() {
		return errUserNotVerified
	}
	return nil
}

// RequireUserVerifiedAssertion is RequireUserVerifiedCreation for a passkey login answer.
func RequireUserVerifiedAssertion(p *protocol.ParsedCredentialAssertionData) error {
	if p == nil || !p.Response.AuthenticatorData.Flags.HasUserVerified() {
		return errUserNotVerified
	}
	return nil
}
