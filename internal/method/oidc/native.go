package oidc

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"net/http"

	"github.com/portico-auth/portico/internal/flow"
	"github.com/portico-auth/portico/internal/flow/form"
	"github.com/portico-auth/portico/internal/flow/login"
	"github.com/portico-auth/portico/internal/flow/registration"
	"github.com/portico-auth/portico/internal/identity"
	"github.com/portico-auth/portico/internal/text"
)

// idTokenVerifier is a provider that can check an ID token a native app got from the
// provider's own SDK (the OpenID Connect kinds).
type idTokenVerifier interface {
	verifyNative(ctx context.Context, raw, nonce string) (*Claims, error)
}

// verifyNative checks a native app's ID token: signed by the provider, for the client id or
// one of additional_id_token_audiences, unexpired, and carrying the nonce the app submitted
// (Apple puts the nonce's SHA-256 in hex into the token; both forms are accepted there).
func (o *openID) verifyNative(ctx context.Context, raw, nonce string) (*Claims, error) {
	auds := append([]string{o.cfg.ClientID}, o.cfg.AdditionalIDTokenAudiences...)
	want := nonce
	if o.cfg.Provider == "apple" {
		sum := sha256.Sum256([]byte(nonce))
		want = hex.EncodeToString(sum[:])
	}
	idt, err := o.verify(ctx, raw, want, auds)
	if err != nil {
		return nil, err
	}
	var claims json.RawMessage
	if err := idt.Claims(&claims); err != nil {
		return nil, claimsError("read the ID token's claims: %v", err)
	}
	return claimsFromJSON(claims)
}

// native reads a native app's id_token submission for provider id.
func (s *Strategy) native(ctx context.Context, id string, body form.Values) (Provider, *Claims, error) {
	p, ok := s.byID[id]
	if !ok {
		return nil, nil, errUnknownProvider(id)
	}
	v, ok := p.(idTokenVerifier)
	raw, nonce := body.String("id_token"), body.String("id_token_nonce")
	switch {
	case !ok:
		return nil, nil, flow.NewFormError(text.New(text.ErrorValidationLoginNoStrategy, nil))
	case raw == "":
		return nil, nil, flow.NewFormError(text.NewRequired("id_token"))
	case nonce == "":
		return nil, nil, flow.NewFormError(text.NewRequired("id_token_nonce"))
	}
	c, err := v.verifyNative(ctx, raw, nonce)
	if err != nil {
		return nil, nil, s.providerFailure(ctx, p, err)
	}
	return p, c, nil
}

// nativeAccount is the identity of the ID token a native app submitted, signed up when new;
// lr is set (and err is it) when the account may be linked to an existing identity instead.
func (s *Strategy) nativeAccount(ctx context.Context, id string, body form.Values) (ident *identity.Identity, lr *linkRequired, err error) {
	p, c, err := s.native(ctx, id, body)
	if err != nil {
		return nil, nil, err
	}
	ident, err = s.signInOrUp(ctx, p, c, nil, true)
	if errors.As(err, &lr) {
		return nil, lr, err
	}
	return ident, nil, err
}

// nativeSignIn signs a native app in with the ID token it submitted to API login flow f; an
// account that may be linked to an existing identity turns f into a flow waiting for that
// identity to sign in (see links.go).
func (m LoginMethod) nativeSignIn(ctx context.Context, r *http.Request, f *login.Flow, id string, body form.Values) (*identity.Identity, error) {
	ident, lr, err := m.nativeAccount(ctx, id, body)
	if lr != nil {
		fe, err := m.askToLink(ctx, r, f, lr)
		if err != nil {
			return nil, err
		}
		return nil, fe
	}
	return ident, err
}

// nativeSignUp signs a native app up. An account whose verified address an existing identity
// holds continues in a new API login flow that asks that identity to sign in and then links
// the account, as a browser's registration does (the reply is that login flow, 400 with
// 1010016); an address the provider does not vouch for stays 4000027.
func (m RegistrationMethod) nativeSignUp(ctx context.Context, r *http.Request, f *registration.Flow, id string, body form.Values) (*identity.Identity, error) {
	ident, lr, err := m.nativeAccount(ctx, id, body)
	if lr != nil {
		return nil, &registration.Handover{Respond: func(w *flow.Responder) error { return m.switchToLogin(w, r, f, lr) }}
	}
	return ident, err
}
