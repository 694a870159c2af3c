// Package code is Kratos's code method (selfservice.methods.code). With passwordless_enabled
// it signs in and signs up: the person gives the address of their account (or, to sign up,
// the traits), a one-time code is sent there (internal/onetime, the courier's login_code_valid
// or registration_code_valid message), and the code signs them in at aal1 (authentication
// method "code"); a sign-up creates the identity only then, with that address verified. An
// address no identity holds gets the same sign-in reply and no message. With mfa_enabled the
// code is a second factor: an aal2 login flow offers a code to each email address of the
// signed-in identity (aal2 beside a first factor of another kind, see session.LevelOf).
package code
