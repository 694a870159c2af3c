package sqlstore

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"

	"github.com/portico-auth/portico/internal/apierr"
	"github.com/portico-auth/portico/internal/store"
)

var errFlowNotFound = apierr.ErrNotFound.WithReason("the flow does not exist")

// CreateFlow stores a new flow; a zero ID is filled in. On SQLite concurrent calls share a
// transaction (groupcommit.go).
func (s *Store) CreateFlow(ctx context.Context, f *store.FlowRecord) error {
	if s.d.name == "sqlite" {
		row := s.flowRow(f, s.now())
		err := s.createFlowGrouped(ctx, row)
		putFlowDoc(row...) // its statement ran, or never will
		return err
	}
	return s.insertFlow(ctx, s.writer(), f, s.now())
}

const flowInsert = "INSERT INTO flows (id, kind, identity_id, expires_at, data, private, created_at, updated_at) "

// flowInsertValues is flowInsert with its values as parameters.
const flowInsertValues = flowInsert + "VALUES (?, ?, ?, ?, ?, ?, ?, ?)"

func (s *Store) insertFlow(ctx context.Context, tx q, f *store.FlowRecord, now time.Time) error {
	row := s.flowRow(f, now)
	err := execFlowInsert(ctx, tx, row)
	putFlowDoc(row...)
	return flowInsertErr(err)
}

// execFlowInsert inserts one flow row (flowRow's values) through tx and returns the driver's
// error as it is (flowInsertErr maps it).
func execFlowInsert(ctx context.Context, tx q, row []any) error {
	query := flowInsertValues
	if tx.lazy() {
		// A new flow is disposable (durability.go); INSERT … SELECT has a WHERE to carry it.
		query = flowInsert + "SELECT ?, ?, ?, ?, ?, ?, ?, ? WHERE " + lazyCommit
	}
	_, err := tx.exec(ctx, query, row...)
	return err
}

// flowInsertErr is the store's error for a failed flow insert.
func flowInsertErr(err error) error {
	return mapUnique(err, "insert flow", "a flow with this id already exists")
}

// flowRow is the values of flowInsert's columns for f written at now. It gives f its id when it
// has none and normalises its expiry, as every insert of a flow does. On SQLite the documents
// may be pooled buffers of their stored forms (flowDocArg, flowPrivateArg): the caller gives
// them back with putFlowDoc once the statement ran (or leaves them to the collector).
func (s *Store) flowRow(f *store.FlowRecord, now time.Time) []any {
	if f.ID == uuid.Nil {
		f.ID = uuid.New()
	}
	f.ExpiresAt = normTime(f.ExpiresAt)
	at := s.d.time(now)
	return []any{f.ID, f.Kind, nullUUID(f.IdentityID), s.d.time(f.ExpiresAt), s.flowDocArg(f.Data), s.flowPrivateArg(f.Private), at, at}
}

// writeFlow is one flow of UpdateIdentityWith: replaced, or inserted when w says so or its
// row is gone.
func (s *Store) writeFlow(ctx context.Context, tx q, w store.FlowWrite, now time.Time) error {
	if !w.Create {
		err := s.replaceFlow(ctx, tx, w.Record, now)
		if !errors.Is(err, errFlowNotFound) {
			return err
		}
	}
	return s.insertFlow(ctx, tx, w.Record, now)
}

// GetFlow loads a flow of the given kind.
func (s *Store) GetFlow(ctx context.Context, kind string, id uuid.UUID) (*store.FlowRecord, error) {
	var f flowDest
	err := s.reader().row(ctx, "SELECT "+flowCols+" FROM flows WHERE id = ? AND kind = ?", id, kind).Scan(f.targets()...)
	if err == sql.ErrNoRows {
		return nil, errFlowNotFound
	}
	if err != nil {
		return nil, mapErr(err, "get flow")
	}
	r, err := f.record()
	if err != nil {
		return nil, fmt.Errorf("get flow: %w", err)
	}
	return r, nil
}

// flowCols are the columns of a flow row a read returns, in flowDest's order.
const flowCols = "id, kind, identity_id, expires_at, data, private"

// flowDest receives flowCols: GetFlow's row, or the flow a session read brings along
// (getSessionWithFlow), where every column is NULL when there is no such flow.
type flowDest struct {
	id, ident  uuid.NullUUID
	kind       sql.NullString
	expires    timeCol
	data, priv flowDocCol
}

func (f *flowDest) targets() []any {
	return []any{&f.id, &f.kind, &f.ident, &f.expires, &f.data, &f.priv}
}

// record is the flow read, or nil when the row held none (a LEFT JOIN that found no flow);
// a document that cannot be decoded (flowDocCol) is an error.
func (f *flowDest) record() (*store.FlowRecord, error) {
	if !f.id.Valid {
		return nil, nil
	}
	if err := cmp.Or(f.data.err, f.priv.err); err != nil {
		return nil, err
	}
	r := &store.FlowRecord{ID: f.id.UUID, Kind: f.kind.String, ExpiresAt: f.expires.T, Data: f.data.B}
	if f.ident.Valid {
		u := f.ident.UUID
		r.IdentityID = &u
	}
	if len(f.priv.B) > 0 {
		r.Private = f.priv.B
	}
	return r, nil
}

// UpdateFlow replaces Data, Private, IdentityID and ExpiresAt.
func (s *Store) UpdateFlow(ctx context.Context, f *store.FlowRecord) error {
	return s.replaceFlow(ctx, s.writer(), f, s.now())
}

func (s *Store) replaceFlow(ctx context.Context, tx q, f *store.FlowRecord, now time.Time) error {
	f.ExpiresAt = normTime(f.ExpiresAt)
	data, private := s.flowDocArg(f.Data), s.flowPrivateArg(f.Private)
	res, err := tx.exec(ctx, "UPDATE flows SET identity_id = ?, expires_at = ?, data = ?, private = ?, updated_at = ? WHERE id = ?"+tx.andLazy(),
		nullUUID(f.IdentityID), s.d.time(f.ExpiresAt), data, private, s.d.time(now), f.ID)
	putFlowDoc(data, private)
	if err != nil {
		return mapErr(err, "update flow")
	}
	return affected(res, errFlowNotFound)
}

// DeleteFlow deletes one flow of the given kind.
func (s *Store) DeleteFlow(ctx context.Context, kind string, id uuid.UUID) error {
	res, err := s.writer().exec(ctx, "DELETE FROM flows WHERE id = ? AND kind = ?", id, kind)
	if err != nil {
		return mapErr(err, "delete flow")
	}
	return affected(res, errFlowNotFound)
}

// DeleteFlowsExpiredBefore deletes at most limit (≤ 0: all) flows that expired before t.
func (s *Store) DeleteFlowsExpiredBefore(ctx context.Context, t time.Time, limit int) (int, error) {
	return s.deleteExpired(ctx, "flows", t, limit)
}

// TrimFlows, when an identity has more than most flows of kind, keeps keepID and the other
// flows written last (updated_at, then expiry, then id), keep in all, and deletes the rest:
// a flow in use is written at every step, so it stays while older, untouched ones go, and
// flows written in one instant still have an order. Whether there are more than most is one
// indexed count that stops at most+1, so the common case costs no write; concurrent trims
// only delete.
func (s *Store) TrimFlows(ctx context.Context, kind string, identityID, keepID uuid.UUID, most, keep int) (store.Trimmed, error) {
	keep = min(keep, most)
	var n int
	err := s.reader().row(ctx, fmt.Sprintf(`SELECT COUNT(*) FROM (SELECT 1 FROM flows
		WHERE identity_id = ? AND kind = ? LIMIT %d) capped`, most+1), identityID, kind).Scan(&n)
	if err != nil {
		return store.Trimmed{}, mapErr(err, "trim flows")
	}
	if n <= most {
		return store.Trimmed{Left: n}, nil
	}
	// the keep-th newest among the flows other than keepID (offset from 0)
	offset := keep
	if keepID != uuid.Nil {
		offset--
	}
	var (
		cutWritten, cutExp timeCol
		cutID              uuid.UUID
	)
	err = s.reader().row(ctx, fmt.Sprintf(`SELECT updated_at, expires_at, id FROM flows
		WHERE identity_id = ? AND kind = ? AND id <> ?
		ORDER BY updated_at DESC, expires_at DESC, id DESC LIMIT 1 OFFSET %d`, max(offset, 0)), identityID, kind, keepID).
		Scan(&cutWritten, &cutExp, &cutID)
	if err == sql.ErrNoRows {
		// Another trim deleted them since the count.
		return store.Trimmed{Left: keep}, nil
	}
	if err != nil {
		return store.Trimmed{}, mapErr(err, "trim flows")
	}
	u, e := s.d.time(cutWritten.T), s.d.time(cutExp.T)
	w := s.writer()
	res, err := w.exec(ctx, `DELETE FROM flows WHERE identity_id = ? AND kind = ? AND id <> ?
		AND (updated_at < ? OR (updated_at = ? AND (expires_at < ? OR (expires_at = ? AND id <= ?))))`+w.andLazy(),
		identityID, kind, keepID, u, u, e, e, cutID)
	if err != nil {
		return store.Trimmed{}, mapErr(err, "trim flows")
	}
	d, err := res.RowsAffected()
	if err != nil {
		return store.Trimmed{}, mapErr(err, "trim flows")
	}
	return store.Trimmed{Deleted: int(d), Left: max(n-int(d), keep)}, nil
}
