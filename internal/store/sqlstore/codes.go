package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/google/uuid"

	"github.com/portico-auth/portico/internal/apierr"
	"github.com/portico-auth/portico/internal/store"
)

var errCodeNotFound = apierr.ErrNotFound.WithReason("no such code, or it was used or has expired")

const codeColumns = "id, flow_id, purpose, method, identity_id, via, address, hash, attempts, expires_at, used_at, created_at"

// CreateCode stores a code and deletes the unused codes it replaces, in one transaction.
func (s *Store) CreateCode(ctx context.Context, c *store.Code) error {
	if c.ID == uuid.Nil {
		c.ID = uuid.New()
	}
	if c.CreatedAt.IsZero() {
		c.CreatedAt = s.now()
	}
	c.CreatedAt, c.ExpiresAt = normTime(c.CreatedAt), normTime(c.ExpiresAt)
	return s.inTx(ctx, func(tx q) error {
		if _, err := tx.exec(ctx, "DELETE FROM one_time_codes WHERE flow_id = ? AND purpose = ? AND method = ? AND used_at IS NULL",
			c.FlowID, c.Purpose, c.Method); err != nil {
			return mapErr(err, "replace one-time code")
		}
		_, err := tx.exec(ctx, `INSERT INTO one_time_codes (`+codeColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			c.ID, c.FlowID, c.Purpose, c.Method, nullUUID(c.IdentityID), c.Via, c.Address, c.Hash, c.Attempts,
			s.d.time(c.ExpiresAt), s.d.nullTime(c.UsedAt), s.d.time(c.CreatedAt))
		if err != nil && classify(err) == kindForeignKey {
			return apierr.ErrNotFound.WithReason("the flow of the code does not exist").WithCause(err)
		}
		return mapUnique(err, "insert one-time code", "a code with this id already exists")
	})
}

// ReserveCodeAttempt counts a try on the flow's live code with one conditional update (the
// database re-evaluates its WHERE on the row it locks, so concurrent callers cannot all pass
// a count read before any of them wrote), then reads the code back.
func (s *Store) ReserveCodeAttempt(ctx context.Context, flowID uuid.UUID, purpose string, now time.Time, max int) (*store.Code, bool, error) {
	at := s.d.time(now)
	reserved := false
	if max > 0 {
		res, err := s.writer().exec(ctx, `UPDATE one_time_codes SET attempts = attempts + 1
			WHERE flow_id = ? AND purpose = ? AND method = 'code' AND used_at IS NULL AND expires_at > ? AND attempts < ?`,
			flowID, purpose, at, max)
		if err != nil {
			return nil, false, mapErr(err, "reserve code attempt")
		}
		n, err := res.RowsAffected()
		if err != nil {
			return nil, false, mapErr(err, "reserve code attempt")
		}
		reserved = n > 0
	}
	c, err := scanCode(s.writer().row(ctx, `SELECT `+codeColumns+` FROM one_time_codes
		WHERE flow_id = ? AND purpose = ? AND method = 'code' AND used_at IS NULL AND expires_at > ?
		ORDER BY created_at DESC LIMIT 1`, flowID, purpose, at))
	if err != nil {
		return nil, false, err
	}
	return c, reserved, nil
}

// FindCodeByHash finds a live link token by its hash.
func (s *Store) FindCodeByHash(ctx context.Context, purpose string, hash []byte, now time.Time) (*store.Code, error) {
	return scanCode(s.reader().row(ctx, `SELECT `+codeColumns+` FROM one_time_codes
		WHERE hash = ? AND purpose = ? AND method = 'link' AND used_at IS NULL AND expires_at > ?`,
		hash, purpose, s.d.time(now)))
}

// UseCode marks a live code used; exactly one of concurrent callers changes the row.
func (s *Store) UseCode(ctx context.Context, id uuid.UUID, now time.Time) error {
	at := s.d.time(now)
	res, err := s.writer().exec(ctx, "UPDATE one_time_codes SET used_at = ? WHERE id = ? AND used_at IS NULL AND expires_at > ?", at, id, at)
	if err != nil {
		return mapErr(err, "use one-time code")
	}
	return affected(res, errCodeNotFound)
}

// DeleteCodesExpiredBefore deletes at most limit (≤ 0: all) codes that expired before t.
func (s *Store) DeleteCodesExpiredBefore(ctx context.Context, t time.Time, limit int) (int, error) {
	return s.deleteOld(ctx, "delete expired one-time codes", s.d.deleteLimited("one_time_codes", "expires_at < ?", "expires_at", limit), s.d.time(t))
}

func scanCode(row *sql.Row) (*store.Code, error) {
	var (
		c       store.Code
		ident   uuid.NullUUID
		expires timeCol
		used    timeCol
		created timeCol
	)
	err := row.Scan(&c.ID, &c.FlowID, &c.Purpose, &c.Method, &ident, &c.Via, &c.Address, &c.Hash, &c.Attempts, &expires, &used, &created)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, errCodeNotFound
	}
	if err != nil {
		return nil, mapErr(err, "get one-time code")
	}
	if ident.Valid {
		u := ident.UUID
		c.IdentityID = &u
	}
	c.ExpiresAt, c.UsedAt, c.CreatedAt = expires.T, used.ptr(), created.T
	return &c, nil
}
