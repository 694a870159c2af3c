// Package code is Kratos's code method for signing in (selfservice.methods.code with
// passwordless_enabled): the person gives the address of their account, a one-time code is
// sent there (internal/onetime, the courier's login_code_valid message), and the code signs
// them in at aal1 (authentication method "code"). An address no identity holds gets the same
// reply and no message. Sign-up by code and code as a second factor are not offered yet.
package code
