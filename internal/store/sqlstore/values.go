package sqlstore

import (
	"context"
	"database/sql"
	"time"

	"github.com/google/uuid"

	"github.com/portico-auth/portico/internal/apierr"
)

// CreateError stores a self-service error.
func (s *Store) CreateError(ctx context.Context, id uuid.UUID, data []byte) error {
	_, err := s.writer().exec(ctx, "INSERT INTO self_service_errors (id, data, created_at) VALUES (?, ?, ?)",
		id, string(data), s.d.time(s.now()))
	return mapUnique(err, "insert self-service error", "an error with this id already exists")
}

// GetError loads a self-service error.
func (s *Store) GetError(ctx context.Context, id uuid.UUID) ([]byte, error) {
	var data string
	err := s.reader().row(ctx, "SELECT data FROM self_service_errors WHERE id = ?", id).Scan(&data)
	if err == sql.ErrNoRows {
		return nil, apierr.ErrNotFound.WithReason("the error does not exist")
	}
	if err != nil {
		return nil, mapErr(err, "get self-service error")
	}
	return []byte(data), nil
}

// DeleteErrorsBefore deletes at most limit self-service errors created before t.
func (s *Store) DeleteErrorsBefore(ctx context.Context, t time.Time, limit int) (int, error) {
	return s.deleteOld(ctx, "delete old self-service errors", s.d.deleteLimited("self_service_errors", "created_at < ?", "created_at", limit), s.d.time(t))
}

// GetValue returns a stored value; a missing key is ErrNotFound.
func (s *Store) GetValue(ctx context.Context, key string) (string, error) {
	return s.getValue(ctx, s.reader(), key)
}

func (s *Store) getValue(ctx context.Context, x q, key string) (string, error) {
	var v string
	err := x.row(ctx, "SELECT value FROM key_values WHERE name = ?", key).Scan(&v)
	if err == sql.ErrNoRows {
		return "", apierr.ErrNotFound.WithReason("no value is stored under this key")
	}
	if err != nil {
		return "", mapErr(err, "get value")
	}
	return v, nil
}

// PutValueIfAbsent stores value unless key exists, and returns the stored value.
func (s *Store) PutValueIfAbsent(ctx context.Context, key, value string) (string, error) {
	w := s.writer()
	if _, err := w.exec(ctx, s.d.insertIgnore("key_values", "name, value, created_at", "?, ?, ?"),
		key, value, s.d.time(s.now())); err != nil {
		return "", mapErr(err, "put value")
	}
	// Read through the writer: on SQLite it is the connection that just wrote.
	return s.getValue(ctx, w, key)
}
