package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"sync"
)

// maxCachedStmts bounds the statement cache; queries built with a variable number of
// placeholders could otherwise grow it without end. Past the bound, queries run unprepared.
const maxCachedStmts = 256

// stmtCache keeps one prepared statement per query text and pool, so the hot queries (a
// session read, a flow insert) are parsed once per connection instead of on every call: on
// SQLite preparing was most of a request's time, on MySQL it saves two round trips.
type stmtCache struct {
	db *sql.DB
	d  dialect
	mu sync.RWMutex
	m  map[string]*sql.Stmt
}

func newStmtCache(db *sql.DB, d dialect) *stmtCache {
	return &stmtCache{db: db, d: d, m: make(map[string]*sql.Stmt)}
}

// lookup returns the cached statement for query, or nil.
func (c *stmtCache) lookup(query string) *sql.Stmt {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.m[query]
}

// get returns the prepared statement for query (in the portable "?" form), preparing it on
// the pool when it is new, or nil when the cache is full. It must not be called while the
// caller holds a connection of the pool (inside a transaction): preparing needs a
// connection, and the SQLite writer pool has only one.
func (c *stmtCache) get(ctx context.Context, query string) (*sql.Stmt, error) {
	if st := c.lookup(query); st != nil {
		return st, nil
	}
	c.mu.RLock()
	full := len(c.m) >= maxCachedStmts
	c.mu.RUnlock()
	if full {
		return nil, nil
	}
	// Prepared without the lock held (it waits for a connection) and without the caller's
	// deadline (the statement outlives this request).
	st, err := c.db.PrepareContext(context.WithoutCancel(ctx), c.d.rebind(query))
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	prev := c.m[query]
	if prev == nil {
		c.m[query] = st
	}
	c.mu.Unlock()
	if prev != nil {
		// Another caller prepared it first. Closed without the cache's lock held: closing
		// waits for every connection the statement was used on, and one of them may be a
		// transaction waiting on a row lock whose holder needs the cache (lookup) to finish —
		// a deadlock seen on MariaDB with 100 concurrent capped sign-ins.
		_ = st.Close()
		return prev, nil
	}
	return st, nil
}

func (c *stmtCache) close() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	var err error
	for k, st := range c.m {
		err = errors.Join(err, st.Close())
		delete(c.m, k)
	}
	return err
}
