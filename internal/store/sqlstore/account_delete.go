package sqlstore

import (
	"context"
	"database/sql"
	"time"

	"github.com/google/uuid"

	"github.com/portico-auth/portico/internal/session"
	"github.com/portico-auth/portico/internal/store"
)

// DeleteAccount removes an identity at its own request (store.Identities). Unlike the admin's
// DeleteIdentity, which deletes sessions in paced batches outside one transaction, everything
// goes in one transaction here: a self-service deletion is refused unless the deleting session
// is live, and that check must hold for the whole deletion; an identity's live sessions are
// capped (session.max_per_identity), so the write stays small.
//
// The identity row is locked first (PostgreSQL, MySQL/MariaDB; SQLite's one writer already
// excludes the rest), so a sign-in (CreateSessionCapped locks the same row) or an update
// waits and then finds no identity. The cascades would remove credentials, addresses,
// sessions, flows and codes; sessions, flows and codes are deleted by name anyway, so the
// deletion does not rest on a schema detail, and codes sent to the identity's addresses by
// flows that name no identity go too.
//
// The audit events ctx carries (audit.With) are written in the same transaction.
func (s *Store) DeleteAccount(ctx context.Context, id, sessionID uuid.UUID, now time.Time, notices []*store.Message) error {
	defer s.rels.drop(id)
	return s.inTx(ctx, func(tx q) error {
		var one int
		err := tx.row(ctx, "SELECT 1 FROM identities WHERE id = ? "+s.d.lockRow(), id).Scan(&one)
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
		// The codes go in three statements, each through an index (one_time_codes'
		// identity_id and address): one statement ORing the three conditions scanned the
		// whole table.
		for _, st := range []struct{ what, sql string }{
			{"codes", "DELETE FROM one_time_codes WHERE identity_id = ?"},
			{"codes sent to the addresses", s.d.deleteCodesTo("identity_verifiable_addresses")},
			{"codes sent to the recovery addresses", s.d.deleteCodesTo("identity_recovery_addresses")},
			{"flows", "DELETE FROM flows WHERE identity_id = ?"},
			{"sessions", "DELETE FROM sessions WHERE identity_id = ?"},
			{"identity", "DELETE FROM identities WHERE id = ?"},
		} {
			if _, err := tx.exec(ctx, st.sql, id); err != nil {
				return mapErr(err, "delete account: "+st.what)
			}
		}
		for _, m := range notices {
			if err := s.enqueueMessage(ctx, tx, m); err != nil {
				return err
			}
		}
		return nil
	})
}
