package sqlstore

import (
	"context"
	"database/sql"
	"time"

	"github.com/google/uuid"
)

// liveIdentity is the one rule every statement that reads or updates identities applies to
// the table (always under the alias i): an identity whose deleted_at is set is deleted for
// every reader and writer, though its row is still there. DeleteIdentity and DeleteAccount
// set it in one short transaction (tombstone) and remove the identity's sessions and the row
// after it; TestEveryIdentityStatementIsLive fails for a statement on identities without it.
// On a primary-key or identifier lookup it is a filter on the row the lookup reads anyway; on
// the admin list's walk of the primary key it skips the rare tombstones: no extra index, no
// extra round trip.
const liveIdentity = "i.deleted_at IS NULL"

// tombstoneStatements are what tombstone runs after marking the row, each with the identity id
// as its only argument: the rows another identity must be able to reuse at once (identifiers
// and addresses are unique, so the same e-mail can sign up again as soon as the deletion
// answers) and the few rows that hold secrets (credentials and their keys, one-time codes) or
// pending work (flows). Each is an index lookup on identity_id; sessions, possibly thousands,
// are left to the paced batches (purgeIdentity).
var tombstoneStatements = []struct{ what, sql string }{
	{"codes", "DELETE FROM one_time_codes WHERE identity_id = ?"},
	{"flows", "DELETE FROM flows WHERE identity_id = ?"},
	{"identifiers", "DELETE FROM identity_credential_identifiers WHERE identity_id = ?"},
	{"credential keys", "DELETE FROM identity_credential_keys WHERE identity_id = ?"},
	{"credentials", "DELETE FROM identity_credentials WHERE identity_id = ?"},
	{"verifiable addresses", "DELETE FROM identity_verifiable_addresses WHERE identity_id = ?"},
	{"recovery addresses", "DELETE FROM identity_recovery_addresses WHERE identity_id = ?"},
}

// tombstone makes identity id deleted for every reader within tx: it sets deleted_at (and
// moves the version on, so an update read before fails its version check; it empties traits,
// metadata and the external id, which is unique and so free again at once), then deletes
// what tombstoneStatements name. An identity that is not there or already deleted is
// errIdentityNotFound. The row is updated first, as every identity write locks it first.
func (s *Store) tombstone(ctx context.Context, tx q, id uuid.UUID, now time.Time) error {
	at := s.d.time(normTime(now))
	res, err := tx.exec(ctx, `UPDATE identities AS i SET deleted_at = ?, version = version + 1, updated_at = ?,
		traits = '{}', metadata_public = NULL, metadata_admin = NULL, external_id = NULL
		WHERE i.id = ? AND `+liveIdentity, at, at, id)
	if err != nil {
		return mapErr(err, "delete identity")
	}
	if err := affected(res, errIdentityNotFound); err != nil {
		return err
	}
	for _, st := range tombstoneStatements {
		if _, err := tx.exec(ctx, st.sql, id); err != nil {
			return mapErr(err, "delete identity: "+st.what)
		}
	}
	return nil
}

// MarkIdentityDeleted is the first step of DeleteIdentity alone: one transaction that makes
// the identity deleted for every reader (tombstone), with the audit events ctx carries. Its
// sessions and row stay until PurgeDeletedIdentities (the cleanup) removes them: this is
// what a deletion interrupted after its first step leaves.
func (s *Store) MarkIdentityDeleted(ctx context.Context, id uuid.UUID) error {
	defer s.rels.drop(id)
	return s.inTx(ctx, func(tx q) error {
		return s.tombstone(ctx, tx, id, s.now())
	})
}

// identityPurgeWait is how long a deletion's call waits for the identity's sessions and row to
// be removed before it returns; the removal goes on in the background after that. The identity
// is gone for every reader from its tombstone on, so the caller has nothing to wait for: an
// identity with 10,000 sessions took 46 s to minutes to purge on a SQLite file under constant
// write load (the batches yield the writer), longer than an admin client's HTTP timeout, and
// a client that gave up and retried would find a 404.
const identityPurgeWait = 2 * time.Second

// SetPurgeWait sets how long a deletion waits for its rows to be removed (identityPurgeWait);
// a benchmark that times the whole removal sets it long.
func (s *Store) SetPurgeWait(d time.Duration) { s.purgeWait = d }

// purgeOrLeave runs purgeIdentity for an identity whose tombstone is committed, waiting for it
// at most purgeWait (or until ctx ends); it then goes on in the background until the store is
// closed. Its error is logged, not returned: the deletion the caller asked for has happened
// (the identity is gone for every reader), so an error would tell the caller something false
// and invite a retry that finds nothing (404). PurgeDeletedIdentities, run by the cleanup loop
// and `portico cleanup`, removes whatever a failed or interrupted purge left.
func (s *Store) purgeOrLeave(ctx context.Context, id uuid.UUID) {
	s.bgMu.Lock()
	if s.bgClosed {
		s.bgMu.Unlock()
		return
	}
	s.bgWG.Add(1)
	s.bgMu.Unlock()
	done := make(chan struct{})
	go func() {
		defer s.bgWG.Done()
		defer close(done)
		if err := s.purgeIdentity(s.bg, id); err != nil && s.bg.Err() == nil {
			s.logger().Warn("an identity is deleted, but removing its sessions failed: the cleanup will remove them",
				"identity_id", id.String(), "error", err.Error())
		}
	}()
	wait := time.NewTimer(s.purgeWait)
	defer wait.Stop()
	select {
	case <-done:
	case <-wait.C:
	case <-ctx.Done():
	}
}

// purgeIdentity removes a tombstoned identity's sessions in paced batches (see
// DeleteIdentity), then its row, and with it by the foreign keys' cascades whatever was made
// for it meanwhile (a session or flow written by a request that read the identity before the
// tombstone). It runs on the store's background context (purgeOrLeave), not the request's:
// the identity is gone for its callers already, and the rest is the server's work; an error
// or the store's Close leaves it to PurgeDeletedIdentities.
func (s *Store) purgeIdentity(ctx context.Context, id uuid.UUID) error {
	size := identityDeleteBatch
	for {
		n, took, err := s.deleteSessionBatch(ctx, id, size)
		if err != nil {
			return err
		}
		if n < int64(size) {
			break
		}
		switch {
		case took > s.deleteTarget:
			size = max(identityDeleteMin, size/2)
		case took < s.deleteTarget/2:
			size = min(identityDeleteBatch, size*2)
		}
		if s.SingleWriter() {
			if err := rest(ctx, identityDeleteRest*took); err != nil {
				return err
			}
		}
	}
	return s.deleteTombstone(ctx, id)
}

// deleteTombstone deletes a tombstoned identity's row; the cascades take what is left.
func (s *Store) deleteTombstone(ctx context.Context, id uuid.UUID) error {
	if _, err := s.writer().exec(ctx, "DELETE FROM identities WHERE id = ? AND deleted_at IS NOT NULL", id); err != nil {
		return mapErr(err, "delete identity")
	}
	return nil
}

// PurgeDeletedIdentities finishes deletions that were interrupted after their tombstone (a
// process that died halfway, a database error): it deletes up to limit (≤ 0: all) sessions of
// identities tombstoned at or before before, oldest tombstone first, and the row of each
// identity whose sessions are then all gone. It returns the rows deleted (sessions and
// identities), so the cleanup paces it like its other tables. A deletion still running may
// be finished by both at once; each statement deletes only what the other has not.
func (s *Store) PurgeDeletedIdentities(ctx context.Context, before time.Time, limit int) (int, error) {
	total := 0
	for limit <= 0 || total < limit {
		var id uuid.UUID
		err := s.writer().row(ctx, `SELECT i.id FROM identities i WHERE i.deleted_at IS NOT NULL AND i.deleted_at <= ?
			ORDER BY i.deleted_at LIMIT 1`, s.d.time(normTime(before))).Scan(&id)
		if err == sql.ErrNoRows {
			return total, nil
		}
		if err != nil {
			return total, mapErr(err, "find deleted identities")
		}
		want := 0
		if limit > 0 {
			want = limit - total
		}
		n, _, err := s.deleteSessionBatch(ctx, id, want)
		if err != nil {
			return total, err
		}
		total += int(n)
		if want > 0 && n >= int64(want) {
			return total, nil
		}
		if err := s.deleteTombstone(ctx, id); err != nil {
			return total, err
		}
		total++
	}
	return total, nil
}
