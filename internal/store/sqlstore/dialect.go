package sqlstore

import (
	"strconv"
	"strings"
	"time"
)

// dialect holds everything that differs between the three databases. Queries are written once
// with "?" placeholders and go through rebind.
type dialect struct {
	name string // "sqlite", "postgres" or "mysql": also the migrations directory
}

var (
	dialectSQLite   = dialect{name: "sqlite"}
	dialectPostgres = dialect{name: "postgres"}
	dialectMySQL    = dialect{name: "mysql"}
)

// timeLayout is how SQLite stores times: fixed width, UTC, microseconds, so that string
// comparison is time comparison.
const timeLayout = "2006-01-02 15:04:05.000000"

// rebind turns "?" placeholders into "$1, $2, …" for PostgreSQL. Our queries hold no "?"
// inside literals.
func (d dialect) rebind(q string) string {
	if d.name != "postgres" || !strings.Contains(q, "?") {
		return q
	}
	var b strings.Builder
	b.Grow(len(q) + 8)
	n := 0
	for i := 0; i < len(q); i++ {
		if q[i] == '?' {
			n++
			b.WriteByte('$')
			b.WriteString(strconv.Itoa(n))
			continue
		}
		b.WriteByte(q[i])
	}
	return b.String()
}

// time converts a time to the value stored: UTC, truncated to microseconds (the precision all
// three databases keep).
func (d dialect) time(t time.Time) any {
	t = normTime(t)
	if d.name == "sqlite" {
		return t.Format(timeLayout)
	}
	return t
}

// nullTime is time for a nullable column.
func (d dialect) nullTime(t *time.Time) any {
	if t == nil || t.IsZero() {
		return nil
	}
	return d.time(*t)
}

// insertIgnore returns an INSERT that does nothing when the row's key already exists.
func (d dialect) insertIgnore(table, cols, values string) string {
	if d.name == "mysql" {
		// ON DUPLICATE KEY with a no-op assignment, unlike INSERT IGNORE, still reports
		// every other error.
		first := strings.TrimSpace(strings.Split(cols, ",")[0])
		return "INSERT INTO " + table + " (" + cols + ") VALUES (" + values + ") ON DUPLICATE KEY UPDATE " + first + " = " + first
	}
	return "INSERT INTO " + table + " (" + cols + ") VALUES (" + values + ") ON CONFLICT DO NOTHING"
}

// deleteLimited deletes at most limit rows of table matching where (which uses "?" args).
// MySQL cannot use LIMIT in an IN subquery but has DELETE … LIMIT; SQLite and PostgreSQL are
// the other way round.
//
// On PostgreSQL the batch is collected into an array first (= ANY (ARRAY(…))): as
// "id IN (SELECT … LIMIT n)" the planner costs the outer delete as a semi join and, with the
// default random_page_cost of 4, chose a sequential scan of the whole table hashed against the
// batch's 500 ids over 500 primary-key lookups while the table was small enough (narrow rows,
// tens of thousands: the 20,000 flows of TestPostgresHotQueryPlans, the 50,000 of a
// 100,000-identity bench schema), so a cleanup read the whole table once per batch.
//
// The array holds the rows' physical addresses (ctid), not their ids: the ordered scan that
// picks the batch has just read each row, and the delete goes straight back to those heap
// pages (a TID scan) instead of looking every id up in the primary key, a B-tree of random
// UUIDs where each id is a descent through pages no other row of the batch shares. On the
// 1M-identity bench schema a batch of 500 expired sessions reads 2,520-2,660 buffers by id and
// 1,036-1,180 by address, and the backend spent 16-20 ms of CPU per 1,000 rows deleted by id
// against 9-11 by address (bench/results/scale-2026-12-06-pg-cleanup.md). Picking and
// deleting are one statement under one snapshot, and only VACUUM FULL or CLUSTER, which lock
// the table, move a row; a row another transaction updates in between is at worst left to a
// later batch.
func (d dialect) deleteLimited(table, where, orderBy string, limit int) string {
	if limit <= 0 {
		return "DELETE FROM " + table + " WHERE " + where
	}
	batch := " WHERE " + where + " ORDER BY " + orderBy + " LIMIT " + strconv.Itoa(limit)
	switch d.name {
	case "mysql":
		return "DELETE FROM " + table + batch
	case "postgres":
		return "DELETE FROM " + table + " WHERE ctid = ANY (ARRAY(SELECT ctid FROM " + table + batch + "))"
	}
	return "DELETE FROM " + table + " WHERE id IN (SELECT id FROM " + table + batch + ")"
}

// normTime is t in UTC truncated to microseconds, the form every backend returns.
func normTime(t time.Time) time.Time {
	return t.UTC().Truncate(time.Microsecond)
}

// lockRow is the locking clause that makes a SELECT of one row wait for, and then hold off,
// other transactions taking the same lock: PostgreSQL's FOR NO KEY UPDATE (it does not block
// foreign-key checks of inserts referencing the row), MySQL's FOR UPDATE, nothing on SQLite,
// whose write transactions already run one at a time.
func (d dialect) lockRow() string {
	switch d.name {
	case "postgres":
		return "FOR NO KEY UPDATE"
	case "mysql":
		return "FOR UPDATE"
	}
	return ""
}

// deleteCodesTo deletes the one-time codes sent to an address that addressTable holds for one
// identity (one "?": the identity's id), through the codes' address index
// (one_time_codes_address_idx): PostgreSQL and SQLite look the addresses up and then each
// one's codes for "address IN (SELECT …)"; MySQL/MariaDB (MariaDB before 11.1) run a
// single-table DELETE's IN subquery as a dependent subquery for every row of the table, so
// there it is a multi-table DELETE joining the addresses.
func (d dialect) deleteCodesTo(addressTable string) string {
	if d.name == "mysql" {
		return "DELETE c FROM one_time_codes c JOIN " + addressTable + " a ON c.address = a.value WHERE a.identity_id = ?"
	}
	return "DELETE FROM one_time_codes WHERE address IN (SELECT value FROM " + addressTable + " WHERE identity_id = ?)"
}
