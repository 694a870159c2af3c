package sqlstore

import (
	"context"
	"database/sql"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/portico-auth/portico/internal/apierr"
	"github.com/portico-auth/portico/internal/store"
)

var (
	errMessageNotFound = apierr.ErrNotFound.WithReason("the courier message does not exist")
	errClaimLost       = apierr.ErrConflict.WithReason("the courier message is no longer claimed by this worker")
)

const messageCols = "id, type, channel, recipient, template_type, status, send_count, last_error, payload, available_at, created_at, updated_at"

// EnqueueMessage stores m as queued and due at once.
func (s *Store) EnqueueMessage(ctx context.Context, m *store.Message) error {
	return s.enqueueMessage(ctx, s.writer(), m)
}

// enqueueMessage inserts m through x, so that a store method writing something else in a
// transaction (a one-time code and the message that carries it) can queue the message in the
// same transaction: both are written, or neither.
func (s *Store) enqueueMessage(ctx context.Context, x q, m *store.Message) error {
	if m.ID == uuid.Nil {
		m.ID = uuid.New()
	}
	now := normTime(m.CreatedAt)
	if m.CreatedAt.IsZero() {
		now = s.now()
	}
	m.Status, m.SendCount, m.LastError = store.MessageQueued, 0, ""
	m.CreatedAt, m.UpdatedAt, m.AvailableAt = now, now, now
	m.Dispatches = nil
	at := s.d.time(now)
	_, err := x.exec(ctx, `INSERT INTO courier_messages (id, type, channel, recipient, template_type, status, send_count, payload, available_at, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, 0, ?, ?, ?, ?)`, m.ID, m.Type, m.Channel, m.Recipient, m.TemplateType, m.Status,
		string(m.Payload), at, at, at)
	return mapUnique(err, "queue courier message", "a courier message with this id already exists")
}

func scanMessage(sc scanner) (*store.Message, error) {
	var (
		m                       store.Message
		lastErr                 sql.NullString
		payload                 string
		avail, created, updated timeCol
	)
	if err := sc.Scan(&m.ID, &m.Type, &m.Channel, &m.Recipient, &m.TemplateType, &m.Status, &m.SendCount,
		&lastErr, &payload, &avail, &created, &updated); err != nil {
		return nil, err
	}
	m.LastError = lastErr.String
	m.Payload = []byte(payload)
	m.AvailableAt, m.CreatedAt, m.UpdatedAt = avail.T, created.T, updated.T
	return &m, nil
}

// GetMessage loads one message with its dispatches, oldest first.
func (s *Store) GetMessage(ctx context.Context, id uuid.UUID) (*store.Message, error) {
	r := s.reader()
	m, err := scanMessage(r.row(ctx, "SELECT "+messageCols+" FROM courier_messages WHERE id = ?", id))
	if err == sql.ErrNoRows {
		return nil, errMessageNotFound
	}
	if err != nil {
		return nil, mapErr(err, "get courier message")
	}
	m.Dispatches, err = queryAll(ctx, r, "get courier message dispatches",
		"SELECT id, message_id, status, error, created_at, updated_at FROM courier_message_dispatches WHERE message_id = ? ORDER BY created_at, id",
		[]any{id}, func(sc scanner) (store.MessageDispatch, error) {
			var (
				d                store.MessageDispatch
				e                sql.NullString
				created, updated timeCol
			)
			err := sc.Scan(&d.ID, &d.MessageID, &d.Status, &e, &created, &updated)
			d.Error, d.CreatedAt, d.UpdatedAt = e.String, created.T, updated.T
			return d, err
		})
	if err != nil {
		return nil, err
	}
	return m, nil
}

// ListMessages returns a page of messages, newest first (created_at, then id).
func (s *Store) ListMessages(ctx context.Context, f store.MessageFilter, p store.ListParams) ([]*store.Message, string, error) {
	size := pageSize(p.PageSize)
	var (
		where []string
		args  []any
	)
	if f.Status != "" {
		where, args = append(where, "status = ?"), append(args, f.Status)
	}
	if f.Recipient != "" {
		where, args = append(where, "recipient = ?"), append(args, f.Recipient)
	}
	if p.PageToken != "" {
		at, id, err := decodeSessionToken(p.PageToken)
		if err != nil {
			return nil, "", err
		}
		cond, cargs := s.d.olderThan("created_at", "id", at, id)
		where, args = append(where, cond), append(args, cargs...)
	}
	query := "SELECT " + messageCols + " FROM courier_messages"
	if len(where) > 0 {
		query += " WHERE " + strings.Join(where, " AND ")
	}
	query += " ORDER BY created_at DESC, id DESC LIMIT " + strconv.Itoa(size+1)
	out, err := queryAll(ctx, s.reader(), "list courier messages", query, args, scanMessage)
	if err != nil {
		return nil, "", err
	}
	out, next := nextPage(out, size, func(m *store.Message) (time.Time, uuid.UUID) { return m.CreatedAt, m.ID })
	return out, next, nil
}

// dueWhere selects the messages a worker may claim at ?: queued ones whose time has come and
// processing ones whose claim has lapsed.
const dueWhere = "status IN ('queued', 'processing') AND available_at <= ?"

// ClaimMessages claims up to limit due messages for claim until now+lease.
//
// PostgreSQL and MySQL/MariaDB lock the candidate rows with FOR UPDATE SKIP LOCKED, so that
// concurrent workers take disjoint sets without waiting on each other; SQLite has a single
// writer, so its transaction alone excludes the others. In every dialect the UPDATE repeats the
// due condition, so a row that another worker claimed between the read and the write (possible
// only where SKIP LOCKED is absent) is not claimed twice.
func (s *Store) ClaimMessages(ctx context.Context, claim uuid.UUID, now time.Time, lease time.Duration, limit int) ([]*store.Message, error) {
	if limit <= 0 {
		return nil, nil
	}
	now = normTime(now)
	var out []*store.Message
	err := s.inTx(ctx, func(tx q) error {
		out = nil
		lock := ""
		if s.d.name != "sqlite" {
			lock = " FOR UPDATE SKIP LOCKED"
		}
		rows, err := tx.query(ctx, "SELECT id FROM courier_messages WHERE "+dueWhere+
			" ORDER BY available_at, id LIMIT "+strconv.Itoa(limit)+lock, s.d.time(now))
		if err != nil {
			return mapErr(err, "claim courier messages")
		}
		var ids []uuid.UUID
		for rows.Next() {
			var id uuid.UUID
			if err := rows.Scan(&id); err != nil {
				_ = rows.Close()
				return mapErr(err, "claim courier messages")
			}
			ids = append(ids, id)
		}
		if err := rows.Close(); err != nil {
			return mapErr(err, "claim courier messages")
		}
		if err := rows.Err(); err != nil {
			return mapErr(err, "claim courier messages")
		}
		until, at := s.d.time(now.Add(lease)), s.d.time(now)
		for _, id := range ids {
			res, err := tx.exec(ctx, "UPDATE courier_messages SET status = 'processing', claim_id = ?, available_at = ?, updated_at = ? WHERE id = ? AND "+dueWhere,
				claim, until, at, id, at)
			if err != nil {
				return mapErr(err, "claim courier messages")
			}
			if affected(res, errClaimLost) != nil {
				continue
			}
			m, err := scanMessage(tx.row(ctx, "SELECT "+messageCols+" FROM courier_messages WHERE id = ?", id))
			if err != nil {
				return mapErr(err, "claim courier messages")
			}
			out = append(out, m)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// FinishMessage records one attempt to send a claimed message, if the claim still holds.
func (s *Store) FinishMessage(ctx context.Context, id, claim uuid.UUID, now time.Time, out store.MessageOutcome) error {
	now = normTime(now)
	at := s.d.time(now)
	avail := at
	if out.Status == store.MessageQueued && out.RetryAt.After(now) {
		avail = s.d.time(out.RetryAt)
	}
	dispatch := store.DispatchSuccess
	var lastErr any
	if out.Error != "" {
		dispatch, lastErr = store.DispatchFailed, out.Error
	}
	return s.inTx(ctx, func(tx q) error {
		// The claim is checked and released by the same conditional statement: of a worker
		// whose claim lapsed and the one that took the message over, only the holder writes.
		res, err := tx.exec(ctx, `UPDATE courier_messages SET status = ?, send_count = send_count + 1, last_error = COALESCE(?, last_error),
			claim_id = NULL, available_at = ?, updated_at = ? WHERE id = ? AND claim_id = ? AND status = 'processing'`,
			out.Status, lastErr, avail, at, id, claim)
		if err != nil {
			return mapErr(err, "finish courier message")
		}
		if err := affected(res, errClaimLost); err != nil {
			return err
		}
		_, err = tx.exec(ctx, `INSERT INTO courier_message_dispatches (id, message_id, status, error, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?, ?)`, uuid.New(), id, dispatch, lastErr, at, at)
		return mapErr(err, "record courier dispatch")
	})
}

// DeleteMessagesBefore deletes at most limit (≤ 0: all) sent or abandoned messages created
// before t; their dispatches go with them.
func (s *Store) DeleteMessagesBefore(ctx context.Context, t time.Time, limit int) (int, error) {
	query := s.d.deleteLimited("courier_messages", "status IN ('sent', 'abandoned') AND created_at < ?", "created_at", limit)
	return s.deleteOld(ctx, "delete old courier messages", query, s.d.time(t))
}
