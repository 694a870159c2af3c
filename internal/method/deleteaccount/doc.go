// Package deleteaccount is Portico's own settings method delete_account (Kratos has none): a
// person deletes their own account from the settings flow. It is off unless
// selfservice.methods.delete_account.enabled, needs a privileged session (a change parked for
// the refresh login like any other), and a confirm field holding the word Confirmation. The
// identity goes with its credentials, sessions, flows and pending codes in one transaction
// that is refused unless the deleting session is still live (store.Identities.DeleteAccount),
// and the account_deleted notice to its verified email addresses is queued in that same
// transaction, with the audit trail's identity_deleted event. Each deletion also writes one
// audit log line. An admin can forbid it for one identity
// with metadata_admin {"delete_account_disabled": true}.
package deleteaccount
