package sqlstore

import (
	"context"
	"time"
)

// healthKey names the key_values row that CheckWrite rewrites.
const healthKey = "health_ready"

// CheckWrite checks that the database takes a write, which Ping cannot tell: a full disk, a
// read-only file or a PostgreSQL primary demoted to a standby still answer reads. It rewrites
// one small row (committed, so that the write reaches the disk: a rolled-back write may never
// leave memory), on the writer connection, so on SQLite it also waits in the writers' queue
// as a real write would.
func (s *Store) CheckWrite(ctx context.Context) error {
	now := time.Now().UTC().Format(time.RFC3339Nano)
	w := s.writer()
	res, err := w.exec(ctx, "UPDATE key_values SET value = ? WHERE name = ?", now, healthKey)
	if err != nil {
		return mapErr(err, "write health row")
	}
	if n, err := res.RowsAffected(); err == nil && n > 0 {
		return nil
	}
	// The first check on this database: create the row (another instance may race us to it).
	if _, err := w.exec(ctx, s.d.insertIgnore("key_values", "name, value, created_at", "?, ?, ?"),
		healthKey, now, s.d.time(s.now())); err != nil {
		return mapErr(err, "write health row")
	}
	return nil
}
