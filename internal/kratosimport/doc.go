// Package kratosimport moves a Kratos database into Portico: identities with their traits,
// metadata, state, external ids and addresses, every credential Portico can use (password
// hashes as they are, TOTP, lookup codes with their used state, WebAuthn and passkeys, OIDC
// links kept for later) and, when asked, the active sessions, whose tokens keep working. It
// reads SQLite, PostgreSQL and MySQL databases of Kratos v1.1 and later by column name,
// refuses a database whose columns it does not know unless told to leave them behind, and
// reports what it could not import and why. Runs are idempotent and resumable: what is
// already in Portico (by id) is left as it is.
package kratosimport
