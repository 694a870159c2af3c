// Package oidc is Kratos's "oidc" method: sign-up and sign-in with OpenID Connect and OAuth2
// providers (generic by discovery, and the common ones with their quirks), for login and
// registration flows.
//
// A submission with method=oidc and provider=<id> stores a single-use state record (the flow,
// the provider, a PKCE verifier and a nonce, sealed) and sends the browser to the provider:
// 303 for a browser, 422 browser_location_change_required with redirect_browser_to for an
// SPA. The provider sends the browser back to /self-service/methods/oidc/callback/<id>; the
// callback finds the state, checks that the same browser returns (a value derived from its
// CSRF cookie, SameSite=Lax, so it travels with the provider's top-level redirect; Apple's
// form_post callback is turned into such a GET by a 303 first), consumes it, exchanges the
// code with the verifier, verifies the ID token (signature, issuer, audience, expiry, nonce)
// and finishes the flow: the identity holding the credential identifier <provider>:<subject>
// is signed in, or a new one is created from the claims through the provider's Jsonnet
// mapper. Every provider error and bad token is a message on the flow, never a 500.
//
// In settings flows the method links provider accounts ("link": to the provider, and the
// callback finishes the same settings flow through settings.Handler.Continue) and unlinks
// them ("unlink"), both with a privileged session; an account that is the identity's last
// way to sign in cannot be unlinked.
//
// Safe account linking (links.go): a new provider account whose verified address an existing
// identity holds waits, sealed and bound to the login flow and its browser, until that
// identity signs in on the flow with one of its own methods (login.PendingLinks); then it is
// linked, once. An unverified address never leads to a link.
package oidc
