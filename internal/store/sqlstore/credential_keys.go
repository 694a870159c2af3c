package sqlstore

import (
	"context"
	"fmt"

	"github.com/portico-auth/portico/internal/apierr"
	"github.com/portico-auth/portico/internal/identity"
)

// insertKeyIDs indexes the credential ids of a webauthn or passkey credential in
// identity_credential_keys, whose primary key makes each id unique across identities and types.
// The rows go with their credential row (ON DELETE CASCADE); an identity update adds and
// removes only the ids a changed config gained or lost (identity_diff.go).
func insertKeyIDs(ctx context.Context, tx q, id *identity.Identity, c identity.Credentials) error {
	keys, err := c.KeyIDs()
	if err != nil {
		return err
	}
	return insertKeys(ctx, tx, id, c, keys)
}

// insertKeys adds index rows for the given key ids of credential c (an update adds only the
// ids its changed config gained).
func insertKeys(ctx context.Context, tx q, id *identity.Identity, c identity.Credentials, keys []string) error {
	for _, k := range keys {
		_, err := tx.exec(ctx, `INSERT INTO identity_credential_keys (key_id, identity_id, credential_id) VALUES (?, ?, ?)`,
			k, id.ID, c.ID)
		if err == nil {
			continue
		}
		if classify(err) == kindUnique {
			return fmt.Errorf("insert credential key id: %w", apierr.ErrConflict.WithReason(identity.KeyTakenReason).
				WithCause(fmt.Errorf("%w: %w", identity.ErrKeyTaken, err)))
		}
		return mapErr(err, "insert credential key id")
	}
	return nil
}
