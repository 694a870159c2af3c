package sqlstore

import (
	"context"
	"database/sql"
	"time"

	"github.com/google/uuid"

	"github.com/portico-auth/portico/internal/session"
	"github.com/portico-auth/portico/internal/store"
)

// DeleteAccount removes an identity at its own request (store.Identities), with the same
// semantics as the admin's DeleteIdentity: the identity is gone at once, its rows follow. One
// transaction checks that the deleting session is live, makes the identity deleted for every
// reader (tombstone: its sessions stop working, its identifiers and addresses are free) and
// queues the notices; then its sessions and row are removed as DeleteIdentity removes them
// (purgeIdentity), or by the cleanup if that is interrupted.
//
// The identity row is locked first (PostgreSQL, MySQL/MariaDB; SQLite's one writer already
// excludes the rest), so a sign-in (CreateSessionCapped locks the same row) or an update
// waits and then finds no identity. Besides what the tombstone deletes, one-time codes sent
// to the identity's addresses by flows that name no identity go too.
//
// The audit events ctx carries (audit.With) are written in the same transaction.
func (s *Store) DeleteAccount(ctx context.Context, id, sessionID uuid.UUID, now time.Time, notices []*store.Message) error {
	err := s.inTx(ctx, func(tx q) error {
		var one int
		err := tx.row(ctx, "SELECT 1 FROM identities i WHERE i.id = ? AND "+liveIdentity+" "+s.d.lockRow(), id).Scan(&one)
		if err == sql.ErrNoRows {
			return errIdentityNotFound
		}
		if err != nil {
			return mapErr(err, "delete account: lock identity")
		}
		err = tx.row(ctx, "SELECT 1 FROM sessions WHERE id = ? AND identity_id = ? AND active = ? AND expires_at > ?",
			sessionID, id, true, s.d.time(normTime(now))).Scan(&one)
		if err == sql.ErrNoRows {
			return session.ErrInactive
		}
		if err != nil {
			return mapErr(err, "delete account: check session")
		}
		// Codes sent to its addresses, before the tombstone deletes the addresses: one
		// statement per address table, each through one_time_codes' address index (the
		// tombstone deletes those by identity_id).
		for _, st := range []struct{ what, sql string }{
			{"codes sent to the addresses", s.d.deleteCodesTo("identity_verifiable_addresses")},
			{"codes sent to the recovery addresses", s.d.deleteCodesTo("identity_recovery_addresses")},
		} {
			if _, err := tx.exec(ctx, st.sql, id); err != nil {
				return mapErr(err, "delete account: "+st.what)
			}
		}
		if err := s.tombstone(ctx, tx, id, s.now()); err != nil {
			return err
		}
		for _, m := range notices {
			if err := s.enqueueMessage(ctx, tx, m); err != nil {
				return err
			}
		}
		return nil
	})
	s.rels.drop(id)
	if err != nil {
		return err
	}
	s.purgeOrLeave(ctx, id)
	return nil
}
