package sqlstore

import (
	"context"
	"database/sql"
	"time"
)

// AddFailure records a failure for key at now in one statement: a new row, one more failure
// in the open window, or a fresh window when the old one ended.
func (s *Store) AddFailure(ctx context.Context, key string, now time.Time, window time.Duration) (int, error) {
	w := s.writer()
	start := s.d.time(now.Add(-window))
	at := s.d.time(now)
	var upsert string
	if s.d.name == "mysql" {
		// Assignments see the row's old values until they are assigned: window_start is
		// compared before it changes.
		upsert = `INSERT INTO login_failures (id, failures, window_start) VALUES (?, 1, ?)
			ON DUPLICATE KEY UPDATE
			failures = IF(window_start <= ?, 1, failures + 1),
			window_start = IF(window_start <= ?, ?, window_start)`
	} else {
		upsert = `INSERT INTO login_failures (id, failures, window_start) VALUES (?, 1, ?)
			ON CONFLICT (id) DO UPDATE SET
			failures = CASE WHEN login_failures.window_start <= ? THEN 1 ELSE login_failures.failures + 1 END,
			window_start = CASE WHEN login_failures.window_start <= ? THEN ? ELSE login_failures.window_start END`
	}
	if _, err := w.exec(ctx, upsert, key, at, start, start, at); err != nil {
		return 0, mapErr(err, "record login failure")
	}
	return s.failures(ctx, w, key, now, window)
}

// Failures returns the failures counted for key in the window open at now.
func (s *Store) Failures(ctx context.Context, key string, now time.Time, window time.Duration) (int, error) {
	return s.failures(ctx, s.reader(), key, now, window)
}

func (s *Store) failures(ctx context.Context, x q, key string, now time.Time, window time.Duration) (int, error) {
	var n int
	err := x.row(ctx, "SELECT failures FROM login_failures WHERE id = ? AND window_start > ?",
		key, s.d.time(now.Add(-window))).Scan(&n)
	if err == sql.ErrNoRows {
		return 0, nil
	}
	if err != nil {
		return 0, mapErr(err, "count login failures")
	}
	return n, nil
}

// ClearFailures forgets key's failures.
func (s *Store) ClearFailures(ctx context.Context, key string) error {
	if _, err := s.writer().exec(ctx, "DELETE FROM login_failures WHERE id = ?", key); err != nil {
		return mapErr(err, "clear login failures")
	}
	return nil
}

// DeleteFailuresBefore deletes at most limit counters whose window started before t.
func (s *Store) DeleteFailuresBefore(ctx context.Context, t time.Time, limit int) (int, error) {
	res, err := s.writer().exec(ctx, s.d.deleteLimited("login_failures", "window_start < ?", "window_start", limit), s.d.time(t))
	if err != nil {
		return 0, mapErr(err, "delete old login failures")
	}
	n, err := res.RowsAffected()
	return int(n), err
}
