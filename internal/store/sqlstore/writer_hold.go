package sqlstore

import (
	"context"
	"time"

	"github.com/portico-auth/portico/internal/cleanup"
)

// execHeld runs one write statement on a writer connection it takes first and returns the rows
// it changed and how long the statement held that connection. The wait for the connection is
// left out: on SQLite there is one writer connection, and when other writes keep it busy, a
// batch paced on the call's whole time would look slow, shrink and rest longer, the more so
// the busier the writer (DeleteIdentity's batches and cleanup's are paced on this figure).
func (s *Store) execHeld(ctx context.Context, what, query string, args ...any) (int64, time.Duration, error) {
	conn, err := s.wdb.Conn(ctx)
	if err != nil {
		return 0, 0, mapErr(err, what)
	}
	defer conn.Close()
	start := time.Now()
	res, err := q{d: s.d, db: conn, record: s.record}.exec(ctx, query, args...)
	if err != nil {
		return 0, 0, mapErr(err, what)
	}
	took := time.Since(start)
	n, err := res.RowsAffected()
	if err != nil {
		return 0, 0, mapErr(err, what)
	}
	return n, took, nil
}

// deleteOld runs one of cleanup's batch deletes through execHeld and tells cleanup how long it
// held the writer (cleanup.NoteHeld), so that cleanup paces and rests on that figure.
func (s *Store) deleteOld(ctx context.Context, what, query string, args ...any) (int, error) {
	n, took, err := s.execHeld(ctx, what, query, args...)
	if err != nil {
		return 0, err
	}
	cleanup.NoteHeld(ctx, took)
	return int(n), nil
}
