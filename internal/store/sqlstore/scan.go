package sqlstore

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"time"
	"unsafe"
)

// timeCol scans a time column of any dialect: time.Time (PostgreSQL, MySQL) or the fixed-width
// text SQLite stores. Times come back in UTC.
type timeCol struct {
	T     time.Time
	Valid bool
}

func (c *timeCol) Scan(src any) error {
	switch v := src.(type) {
	case nil:
		*c = timeCol{}
		return nil
	case time.Time:
		*c = timeCol{T: v.UTC(), Valid: true}
		return nil
	case string:
		return c.parse(v)
	case []byte:
		return c.parse(string(v))
	}
	return fmt.Errorf("scan time: unsupported type %T", src)
}

func (c *timeCol) parse(s string) error {
	t, err := time.Parse(timeLayout, s)
	if err != nil {
		// Tolerate other layouts SQLite tools may write.
		t, err = time.Parse(time.RFC3339Nano, s)
		if err != nil {
			return fmt.Errorf("scan time %q: %w", s, err)
		}
	}
	*c = timeCol{T: t.UTC(), Valid: true}
	return nil
}

// ptr returns the time as a pointer, nil when NULL.
func (c timeCol) ptr() *time.Time {
	if !c.Valid {
		return nil
	}
	t := c.T
	return &t
}

// jsonText is how JSON documents are stored: as text, "" (NULL) when absent.
func jsonText(raw json.RawMessage) any {
	if len(raw) == 0 {
		return nil
	}
	return string(raw)
}

// jsonOr is jsonText with a default for NOT NULL columns.
func jsonOr(raw json.RawMessage, def string) string {
	if len(raw) == 0 {
		return def
	}
	return string(raw)
}

// textOrNil stores a document kept in a nullable text column: empty is NULL. It is bound as
// textArg binds it, without a copy.
func textOrNil(b []byte) any {
	if len(b) == 0 {
		return nil
	}
	return textArg(b)
}

// textArg is b as a statement's text argument, without copying it: a flow's documents are
// kilobytes (a settings flow with every second factor on, 12 KB) and each copy was garbage as
// soon as the statement ran, since every driver (SQLite, PostgreSQL, MySQL) copies a text
// argument into its own memory or wire buffer while the statement is executed and keeps no
// reference to it once the call returns. So b must not change while the statement runs: a
// record's bytes are the caller's until the store method returns (see store.FlowRecord), and
// only then may the caller reuse them.
func textArg(b []byte) string {
	return unsafe.String(unsafe.SliceData(b), len(b))
}

// bytesOrNil stores an empty byte slice as NULL.
func bytesOrNil(b []byte) any {
	if len(b) == 0 {
		return nil
	}
	return b
}

// placeholders returns "?, ?, …" n times.
func placeholders(n int) string {
	if n <= 0 {
		return ""
	}
	b := make([]byte, 0, 3*n)
	for i := 0; i < n; i++ {
		if i > 0 {
			b = append(b, ", "...)
		}
		b = append(b, '?')
	}
	return string(b)
}

// queryAll runs a listing query and scans every row with scan; what names the listing in
// errors ("list identities").
func queryAll[T any](ctx context.Context, x q, what, query string, args []any, scan func(scanner) (T, error)) ([]T, error) {
	rows, err := x.query(ctx, query, args...)
	if err != nil {
		return nil, mapErr(err, what)
	}
	defer rows.Close()
	out := []T{}
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, mapErr(err, what)
		}
		out = append(out, v)
	}
	if err := rows.Err(); err != nil {
		return nil, mapErr(err, what)
	}
	return out, nil
}

// textCol scans a text column into bytes without the copy []byte(string) makes: a flow's
// documents are kilobytes (a settings flow with every second factor on, 14 KB) and reading one
// copied them twice, out of the driver and out of its string. A string the driver returns was
// made for this row (SQLite and PostgreSQL copy the value out of their own memory into it) and
// is dropped once Scan returns, so its bytes are handed over as they are: the caller reads
// them and never writes into them (store.FlowRecord). A []byte may be the driver's own
// buffer, reused for the next row (MySQL): it is copied.
type textCol struct {
	B     []byte
	Valid bool
}

func (c *textCol) Scan(src any) error {
	switch v := src.(type) {
	case nil:
		*c = textCol{}
	case string:
		*c = textCol{B: unsafe.Slice(unsafe.StringData(v), len(v)), Valid: true}
	case []byte:
		*c = textCol{B: bytes.Clone(v), Valid: true}
	default:
		return fmt.Errorf("text column: unsupported type %T", src)
	}
	return nil
}
