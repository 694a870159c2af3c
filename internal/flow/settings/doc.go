// Package settings implements the self-service settings flow: creating browser and API flows
// for a signed-in identity, reading them back, and applying submissions through pluggable
// methods (profile, password, and later TOTP, lookup secrets, WebAuthn, passkeys). Changes that
// need a privileged session are parked, encrypted, in the flow and applied once the person has
// re-authenticated.
package settings
