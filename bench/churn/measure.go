package main

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/google/uuid"

	"github.com/portico-auth/portico/internal/store"
	"github.com/portico-auth/portico/internal/store/sqlstore"
)

func flowRecord(id, owner uuid.UUID, expires time.Time, data []byte) *store.FlowRecord {
	return &store.FlowRecord{ID: id, Kind: "settings", IdentityID: &owner, ExpiresAt: expires, Data: data}
}

// meter reads the live row count and the size of the database.
type meter struct {
	st   *sqlstore.Store
	path string // the SQLite file; empty on other databases
}

// sample is one measurement. On SQLite, file is the main file, wal and shm its companions,
// and free the bytes of pages on the free list (allocated in the file, reused by later
// inserts, returned to the OS only by VACUUM or auto_vacuum). Elsewhere table and database
// are what the database reports for the flows table (with indexes and TOAST) and in total.
type sample struct {
	rows                 int64
	file, wal, shm, free int64
	table, database      int64
	sqlite               bool
}

func (m *meter) measure(ctx context.Context) (sample, error) {
	db := m.st.DB()
	var s sample
	if err := db.QueryRowContext(ctx, "SELECT COUNT(*) FROM flows").Scan(&s.rows); err != nil {
		return s, fmt.Errorf("count flows: %w", err)
	}
	switch m.st.Dialect() {
	case "sqlite":
		s.sqlite = true
		s.file, s.wal, s.shm = fileSize(m.path), fileSize(m.path+"-wal"), fileSize(m.path+"-shm")
		var pageSize, freePages int64
		if err := db.QueryRowContext(ctx, "PRAGMA page_size").Scan(&pageSize); err != nil {
			return s, fmt.Errorf("page size: %w", err)
		}
		if err := db.QueryRowContext(ctx, "PRAGMA freelist_count").Scan(&freePages); err != nil {
			return s, fmt.Errorf("free pages: %w", err)
		}
		s.free = pageSize * freePages
	case "postgres":
		if err := db.QueryRowContext(ctx, "SELECT pg_total_relation_size('flows'), pg_database_size(current_database())").Scan(&s.table, &s.database); err != nil {
			return s, fmt.Errorf("database size: %w", err)
		}
	case "mysql":
		if err := db.QueryRowContext(ctx, `SELECT COALESCE(SUM(data_length + index_length), 0) FROM information_schema.tables
			WHERE table_schema = DATABASE() AND table_name = 'flows'`).Scan(&s.table); err != nil {
			return s, fmt.Errorf("table size: %w", err)
		}
		if err := db.QueryRowContext(ctx, `SELECT COALESCE(SUM(data_length + index_length), 0) FROM information_schema.tables
			WHERE table_schema = DATABASE()`).Scan(&s.database); err != nil {
			return s, fmt.Errorf("database size: %w", err)
		}
	}
	return s, nil
}

func (s sample) String() string {
	if s.sqlite {
		return fmt.Sprintf("size %9s (db %s + wal %s + shm %s, free pages %s)",
			mb(s.file+s.wal+s.shm), mb(s.file), mb(s.wal), mb(s.shm), mb(s.free))
	}
	return fmt.Sprintf("flows table %9s  database %9s", mb(s.table), mb(s.database))
}

func fileSize(path string) int64 {
	fi, err := os.Stat(path)
	if err != nil {
		return 0
	}
	return fi.Size()
}

func mb(n int64) string { return fmt.Sprintf("%.1f MB", float64(n)/(1<<20)) }
