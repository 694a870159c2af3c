package sqlstore

import (
	"context"
	"time"

	"github.com/google/uuid"

	"github.com/portico-auth/portico/internal/apierr"
	"github.com/portico-auth/portico/internal/identity"
)

var errAddressNotFound = apierr.ErrNotFound.WithReason("the identity has no such verifiable address")

// MarkAddressVerified marks one verifiable address verified and bumps the identity's version,
// in one transaction: the identity row first, as UpdateIdentity locks it, so the two never
// wait on each other's locks in opposite orders.
func (s *Store) MarkAddressVerified(ctx context.Context, identityID uuid.UUID, via, value string, now time.Time) error {
	at := s.d.time(now)
	return s.addressWrite(ctx, identityID, at, `UPDATE identity_verifiable_addresses
		SET verified = ?, status = 'completed', verified_at = COALESCE(verified_at, ?), updated_at = ?
		WHERE identity_id = ? AND via = ? AND value = ?`, true, at, at, identityID, via, value)
}

// SetAddressStatus sets the status of an unverified address; a verified one is left as it is
// (and counts as found).
func (s *Store) SetAddressStatus(ctx context.Context, identityID uuid.UUID, via, value, status string, now time.Time) error {
	at := s.d.time(now)
	return s.addressWrite(ctx, identityID, at, `UPDATE identity_verifiable_addresses
		SET status = CASE WHEN verified = ? THEN status ELSE ? END, updated_at = ?
		WHERE identity_id = ? AND via = ? AND value = ?`, true, status, at, identityID, via, value)
}

func (s *Store) addressWrite(ctx context.Context, identityID uuid.UUID, at any, query string, args ...any) error {
	return s.inTx(ctx, func(tx q) error {
		res, err := tx.exec(ctx, "UPDATE identities AS i SET version = version + 1, updated_at = ? WHERE i.id = ? AND "+liveIdentity, at, identityID)
		if err != nil {
			return mapErr(err, "update identity version")
		}
		if err := affected(res, errIdentityNotFoundForAddress); err != nil {
			return err
		}
		res, err = tx.exec(ctx, query, args...)
		if err != nil {
			return mapErr(err, "update verifiable address")
		}
		return affected(res, errAddressNotFound)
	})
}

var errIdentityNotFoundForAddress = apierr.ErrNotFound.WithReason("the identity does not exist")

// FindByVerifiableAddress finds the identity holding a verifiable address, without configs.
func (s *Store) FindByVerifiableAddress(ctx context.Context, via, value string) (*identity.Identity, error) {
	return s.getIdentity(ctx, `JOIN identity_verifiable_addresses a ON a.identity_id = i.id
		WHERE a.via = ? AND a.value = ?`, false, via, value)
}

// FindByRecoveryAddress finds the identity holding a recovery address, without configs.
func (s *Store) FindByRecoveryAddress(ctx context.Context, via, value string) (*identity.Identity, error) {
	return s.getIdentity(ctx, `JOIN identity_recovery_addresses a ON a.identity_id = i.id
		WHERE a.via = ? AND a.value = ?`, false, via, value)
}
