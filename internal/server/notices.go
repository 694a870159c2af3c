package server

import (
	"net/http"

	"github.com/portico-auth/portico/internal/courier"
	"github.com/portico-auth/portico/internal/identity"
)

// credentialNotices returns the settings flow's Changed hook: every change of a password, a
// second factor, a passkey or the recovery addresses queues a credential_changed notice to
// the verified email addresses the identity had before the change, naming the device that
// made it. A notice that cannot be queued is logged; the change itself stands.
func credentialNotices(a *App) func(r *http.Request, before, after *identity.Identity) {
	if a.Notices == nil || !a.Notices.Enabled {
		return nil
	}
	clientAddress := clientAddress(a)
	return func(r *http.Request, before, after *identity.Identity) {
		for _, what := range courier.Changes(before, after) {
			_, err := a.Notices.CredentialChanged(r.Context(), before, courier.Change{
				What: what, At: a.Now(), UserAgent: r.UserAgent(), IPAddress: clientAddress(r),
			})
			if err != nil {
				a.Log.ErrorContext(r.Context(), "queue credential_changed notice", "identity", before.ID, "change", what, "error", err)
			}
		}
	}
}

// clientAddress is the request's client address under serve.public.trusted_proxies, as
// notices and audit lines quote it ("" when there is none).
func clientAddress(a *App) func(r *http.Request) string {
	return func(r *http.Request) string {
		if addr := a.Addresses.Address(r); addr.IsValid() {
			return addr.String()
		}
		return ""
	}
}
