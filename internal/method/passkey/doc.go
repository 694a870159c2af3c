// Package passkey is the passkey method: discoverable WebAuthn credentials registered in the
// settings flow and used as a passwordless first factor at login, where the authenticator's
// user handle names the identity. The WebAuthn machinery is shared with package webauthn.
package passkey
