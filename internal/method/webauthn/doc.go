// Package webauthn is the WebAuthn method (security keys as a second factor) of the login
// and settings flows, and the WebAuthn machinery the passkey method shares: relying parties
// built from the configuration, the credential record kept in an identity's credentials,
// the ceremony data (challenges) kept server-side between showing a flow and submitting it,
// the browser script served at /.well-known/ory/webauthn.js and the nodes that load it.
package webauthn
