// Package passkey is the passkey method: discoverable WebAuthn credentials registered at sign-up
// (the registration flow, a new identity whose only credential is the passkey) or in the
// settings flow, and used as a passwordless first factor at login, where the authenticator's
// user handle names the identity. The WebAuthn machinery is shared with package webauthn.
package passkey
