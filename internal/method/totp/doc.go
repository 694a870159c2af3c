// Package totp is the TOTP second factor (RFC 6238 authenticator apps): enrolled and unlinked
// in the settings flow, used to step a session up to aal2 in the login flow. A code is accepted
// within one 30-second step either side of now, and never twice: the last time step used is
// kept in the credential and moves forward through the identity's optimistic version.
package totp
