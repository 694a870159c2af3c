package sqlstore

import (
	"time"

	"github.com/google/uuid"
)

// olderThan is the keyset condition of a list ordered newest first by the columns t and id:
// the rows after a page token's (at, id). Its leading "t <= ?" is implied by the rest; it is
// there so that the index scan starts at the token. Without it PostgreSQL walked the index
// from the newest row and filtered out every row of the pages before the token (20,094 rows
// for a page in the middle of 40,000 sessions, millions at 10M), so a page cost more the
// deeper it was.
func (d dialect) olderThan(t, id string, at time.Time, after uuid.UUID) (string, []any) {
	v := d.time(at)
	return "(" + t + " <= ? AND (" + t + " < ? OR (" + t + " = ? AND " + id + " < ?)))", []any{v, v, v, after}
}
