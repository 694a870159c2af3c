package login

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/portico-auth/portico/internal/apierr"
	"github.com/portico-auth/portico/internal/flow"
	"github.com/portico-auth/portico/internal/flow/form"
	"github.com/portico-auth/portico/internal/identity"
	"github.com/portico-auth/portico/internal/text"
)

// StoredFactor is embedded by the second factors that keep their use on the identity's
// credentials (TOTP's last time step, the used backup codes): the use is stored through the
// identity's optimistic version before it counts, so a code works once even when sent twice
// at the same moment.
type StoredFactor struct {
	SecondFactor
	Identities interface {
		Update(ctx context.Context, id *identity.Identity) error
	}
	// Now is the clock (required: internal/server defaults it once).
	Now func() time.Time
}

// Code is the one field of a second factor's submission: ErrInvalidCredentials without a
// signed-in identity, a required-field message on the field when it is empty.
func (StoredFactor) Code(ident *identity.Identity, body form.Values, field string) (string, error) {
	if ident == nil {
		return "", ErrInvalidCredentials()
	}
	code := body.String(field)
	if code == "" {
		return "", &flow.FormError{Nodes: map[string][]text.Message{field: {text.NewRequired(field)}}}
	}
	return code, nil
}

// Record stores ident with its use of the factor. A conflict (someone changed the identity at
// the same moment, most likely using the same code) is answered with used; what names the
// use in any other error.
func (f StoredFactor) Record(ctx context.Context, ident *identity.Identity, used error, what string) error {
	if err := f.Identities.Update(ctx, ident); err != nil {
		if errors.Is(err, apierr.ErrConflict) {
			return used
		}
		return fmt.Errorf("record used %s: %w", what, err)
	}
	return nil
}
