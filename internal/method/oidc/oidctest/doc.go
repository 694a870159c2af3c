// Package oidctest runs a real OpenID provider on loopback for tests, built with zitadel's
// OP library (github.com/zitadel/oidc/v3/pkg/op) and its in-memory storage: discovery, the
// authorisation endpoint with PKCE, the token endpoint, signed ID tokens, user info and JWKS
// are the library's, not an imitation. A test chooses who signs in at the provider, can make
// the provider refuse, and can make it issue hostile ID tokens (signed by a key it does not
// publish, with another nonce) to check that Portico refuses them. A reverse proxy in front of
// its token endpoint (ProxyTokens) can swap the ID token of a reply for one the provider
// really issued to another of its clients, for the same person and nonce.
package oidctest
