package onetime

import (
	"context"

	"github.com/portico-auth/portico/internal/apierr"
	"github.com/portico-auth/portico/internal/identity"
)

// Active reports whether ident may receive and use codes and links: an identity without a
// state is active.
func Active(ident *identity.Identity) bool {
	return ident.State == "" || ident.State == identity.StateActive
}

// ActiveOnly wraps a Spec.Find so that an inactive identity is as unknown: no code or link
// goes to it, and the reply does not say so.
func ActiveOnly(find func(ctx context.Context, via, address string) (*identity.Identity, error)) func(ctx context.Context, via, address string) (*identity.Identity, error) {
	return func(ctx context.Context, via, address string) (*identity.Identity, error) {
		ident, err := find(ctx, via, address)
		if err == nil && !Active(ident) {
			return nil, apierr.ErrNotFound
		}
		return ident, err
	}
}
