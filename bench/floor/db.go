package main

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"fmt"
	"runtime"
	"time"

	"github.com/google/uuid"
	_ "modernc.org/sqlite"
)

// schema is the floor's whole database: sessions found by the hash of their token, and flows.
const schema = `
CREATE TABLE IF NOT EXISTS sessions (
	token_hash BLOB PRIMARY KEY,
	id TEXT NOT NULL,
	identity_id TEXT NOT NULL,
	traits TEXT NOT NULL,
	active INTEGER NOT NULL,
	expires_at INTEGER NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS flows (
	id TEXT PRIMARY KEY,
	kind TEXT NOT NULL,
	identity_id TEXT,
	expires_at INTEGER NOT NULL,
	data TEXT NOT NULL
);`

// db is a single writer connection (SQLite serialises writers anyway, and one connection avoids
// busy retries) and a pool of readers, both over WAL — the same arrangement Portico uses, so
// the comparison is about the handler, not the database setup.
type db struct {
	w, r       *sql.DB
	getSession *sql.Stmt
	insertFlow *sql.Stmt
}

const dsnParams = "?_pragma=busy_timeout(10000)&_pragma=synchronous(NORMAL)&_pragma=journal_mode(WAL)"

func openDB(ctx context.Context, path string) (*db, error) {
	w, err := sql.Open("sqlite", "file:"+path+dsnParams+"&_txlock=immediate")
	if err != nil {
		return nil, err
	}
	w.SetMaxOpenConns(1)
	w.SetMaxIdleConns(1)
	if _, err := w.ExecContext(ctx, schema); err != nil {
		_ = w.Close()
		return nil, fmt.Errorf("create schema: %w", err)
	}
	r, err := sql.Open("sqlite", "file:"+path+dsnParams)
	if err != nil {
		_ = w.Close()
		return nil, err
	}
	n := max(4, 2*runtime.NumCPU())
	r.SetMaxOpenConns(n)
	r.SetMaxIdleConns(n)
	d := &db{w: w, r: r}
	if d.getSession, err = r.PrepareContext(ctx, "SELECT id, identity_id, traits, expires_at FROM sessions WHERE token_hash = ? AND active = 1"); err != nil {
		d.close()
		return nil, err
	}
	if d.insertFlow, err = w.PrepareContext(ctx, "INSERT INTO flows (id, kind, identity_id, expires_at, data) VALUES (?, ?, ?, ?, ?)"); err != nil {
		d.close()
		return nil, err
	}
	return d, nil
}

func (d *db) close() {
	for _, s := range []*sql.Stmt{d.getSession, d.insertFlow} {
		if s != nil {
			_ = s.Close()
		}
	}
	_ = d.r.Close()
	_ = d.w.Close()
}

func hashToken(t string) []byte {
	h := sha256.Sum256([]byte(t))
	return h[:]
}

// seed creates n active sessions (tokens floor-token-<i>) valid for a day, in one transaction.
func (d *db) seed(ctx context.Context, n int, now time.Time) error {
	tx, err := d.w.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	exp := now.Add(24 * time.Hour).UnixMilli()
	for i := range n {
		traits := fmt.Sprintf(`{"email":"floor-%d@example.test","name":{"first":"Ada","last":"Lovelace"}}`, i)
		if _, err := tx.ExecContext(ctx, "INSERT OR REPLACE INTO sessions (token_hash, id, identity_id, traits, active, expires_at) VALUES (?, ?, ?, ?, 1, ?)",
			hashToken(fmt.Sprintf("floor-token-%d", i)), uuid.NewString(), uuid.NewString(), traits, exp); err != nil {
			return err
		}
	}
	return tx.Commit()
}

type sessionRow struct {
	id, identityID, traits string
	expiresAt              time.Time
}

// session finds an active session by its token: one indexed read.
func (d *db) session(ctx context.Context, token string) (sessionRow, error) {
	var s sessionRow
	var exp int64
	err := d.getSession.QueryRowContext(ctx, hashToken(token)).Scan(&s.id, &s.identityID, &s.traits, &exp)
	s.expiresAt = time.UnixMilli(exp)
	return s, err
}

func (d *db) createFlow(ctx context.Context, id, identityID string, expires time.Time, data []byte) error {
	_, err := d.insertFlow.ExecContext(ctx, id, "settings", identityID, expires.UnixMilli(), data)
	return err
}
