package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"time"
)

// ReserveAttempt counts one attempt for key at now unless max are already counted in the
// window still open, and reports whether it was counted. Counting and checking are one atomic
// step (a conditional upsert, or on MySQL a transaction holding the row's lock), so of any
// number of concurrent callers exactly max are admitted per window.
func (s *Store) ReserveAttempt(ctx context.Context, key string, now time.Time, window time.Duration, max int) (bool, error) {
	if max <= 0 {
		return false, nil
	}
	start := s.d.time(now.Add(-window))
	at := s.d.time(now)
	if s.d.name == "mysql" {
		return s.reserveAttemptLocked(ctx, key, at, start, max)
	}
	// The DO UPDATE's WHERE refuses a full, still-open window: then nothing is written and
	// RETURNING yields no row. A window that has ended restarts at one.
	var n int
	err := s.writer().row(ctx, `INSERT INTO login_failures (id, failures, window_start) VALUES (?, 1, ?)
		ON CONFLICT (id) DO UPDATE SET
		failures = CASE WHEN login_failures.window_start <= ? THEN 1 ELSE login_failures.failures + 1 END,
		window_start = CASE WHEN login_failures.window_start <= ? THEN ? ELSE login_failures.window_start END
		WHERE login_failures.window_start <= ? OR login_failures.failures < ?
		RETURNING failures`, key, at, start, start, at, start, max).Scan(&n)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, mapErr(err, "reserve attempt")
	}
	return true, nil
}

// reserveAttemptLocked is ReserveAttempt for MySQL/MariaDB, which has no upsert with a
// condition and RETURNING: the first statement creates the row or takes its exclusive lock (an
// ON DUPLICATE KEY UPDATE locks the existing row even when it changes nothing), so the read
// and the write after it see no concurrent change.
func (s *Store) reserveAttemptLocked(ctx context.Context, key string, at, start any, max int) (bool, error) {
	admitted := false
	err := s.inTx(ctx, func(tx q) error {
		admitted = false
		if _, err := tx.exec(ctx, `INSERT INTO login_failures (id, failures, window_start) VALUES (?, 0, ?)
			ON DUPLICATE KEY UPDATE id = id`, key, at); err != nil {
			return mapErr(err, "reserve attempt")
		}
		var n int
		var ended bool
		if err := tx.row(ctx, "SELECT failures, window_start <= ? FROM login_failures WHERE id = ? FOR UPDATE",
			start, key).Scan(&n, &ended); err != nil {
			return mapErr(err, "reserve attempt")
		}
		var err error
		switch {
		case ended:
			_, err = tx.exec(ctx, "UPDATE login_failures SET failures = 1, window_start = ? WHERE id = ?", at, key)
		case n < max:
			_, err = tx.exec(ctx, "UPDATE login_failures SET failures = failures + 1 WHERE id = ?", key)
		default:
			return nil
		}
		if err != nil {
			return mapErr(err, "reserve attempt")
		}
		admitted = true
		return nil
	})
	return admitted, err
}

// ReleaseAttempt gives back one attempt counted for key (one that was never evaluated, or
// that succeeded and must not count against a shared budget).
func (s *Store) ReleaseAttempt(ctx context.Context, key string) error {
	w := s.writer()
	if _, err := w.exec(ctx, "UPDATE login_failures SET failures = failures - 1 WHERE id = ? AND failures > 0"+w.andLazy(), key); err != nil {
		return mapErr(err, "release attempt")
	}
	return nil
}

// Failures returns the attempts counted for key in the window open at now.
func (s *Store) Failures(ctx context.Context, key string, now time.Time, window time.Duration) (int, error) {
	var n int
	err := s.reader().row(ctx, "SELECT failures FROM login_failures WHERE id = ? AND window_start > ?",
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
	w := s.writer()
	if _, err := w.exec(ctx, "DELETE FROM login_failures WHERE id = ?"+w.andLazy(), key); err != nil {
		return mapErr(err, "clear login failures")
	}
	return nil
}

// DeleteFailuresBefore deletes at most limit counters whose window started before t.
func (s *Store) DeleteFailuresBefore(ctx context.Context, t time.Time, limit int) (int, error) {
	return s.deleteOld(ctx, "delete old login failures", s.d.deleteLimited("login_failures", "window_start < ?", "window_start", limit), s.d.time(t))
}
