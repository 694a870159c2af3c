package sqlstore

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"syscall"

	"github.com/go-sql-driver/mysql"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/portico-auth/portico/internal/apierr"
)

// errKind is what a driver error means to us.
type errKind int

const (
	kindOther errKind = iota
	kindUnique
	kindForeignKey
	kindUnavailable
	kindRetry // deadlock or serialization failure: the transaction may be run again
	// kindInvalidInput: the database refused a value the request carried (bytes that are not
	// valid in its encoding, a string too long for its column or index). The caller's fault.
	kindInvalidInput
)

// SQLite result codes (extended codes are on, so constraint errors carry them).
const (
	sqliteBusy             = 5
	sqliteLocked           = 6
	sqliteReadOnly         = 8
	sqliteIOErr            = 10
	sqliteFull             = 13
	sqliteTooBig           = 18
	sqliteCantOpen         = 14
	sqliteConstraintFK     = 787
	sqliteConstraintPK     = 1555
	sqliteConstraintUnique = 2067
)

func classify(err error) errKind {
	var (
		sqliteErr interface{ Code() int }
		pgErr     *pgconn.PgError
		pgConnErr *pgconn.ConnectError
		myErr     *mysql.MySQLError
		netErr    net.Error
	)
	switch {
	case errors.As(err, &pgErr):
		switch {
		case pgErr.Code == "23505":
			return kindUnique
		case pgErr.Code == "23503":
			return kindForeignKey
		case pgErr.Code == "40001" || pgErr.Code == "40P01":
			return kindRetry
		// Class 22 is "data exception" (22021 invalid byte sequence, 22P05 \u0000 in jsonb,
		// 22P02 invalid input syntax, 22001 too long); 54000 is an index row over its limit.
		case strings.HasPrefix(pgErr.Code, "22"), pgErr.Code == "54000":
			return kindInvalidInput
		case strings.HasPrefix(pgErr.Code, "08"), strings.HasPrefix(pgErr.Code, "57P"),
			pgErr.Code == "53300", pgErr.Code == "3D000", pgErr.Code == "28P01", pgErr.Code == "28000",
			// The database answers but cannot take a write: disk full, out of memory, a
			// read-only transaction (a standby, default_transaction_read_only).
			pgErr.Code == "53100", pgErr.Code == "53200", pgErr.Code == "25006":
			return kindUnavailable
		}
		return kindOther
	case errors.As(err, &myErr):
		switch myErr.Number {
		case 1062:
			return kindUnique
		case 1451, 1452:
			return kindForeignKey
		case 1205, 1213:
			return kindRetry
		// Incorrect string value, data too long, out of range, truncated value, invalid
		// character string, invalid JSON text, illegal mix of collations (invalid bytes
		// compared with a utf8mb4 column).
		case 1366, 1406, 1264, 1292, 1300, 3140, 1267, 1271:
			return kindInvalidInput
		case 1040, 1044, 1045, 1049, 1053, 1129, 1152, 1153, 1203,
			// Cannot take a write: disk full, table full, --read-only.
			1021, 1114, 1290, 1836:
			return kindUnavailable
		}
		return kindOther
	case errors.As(err, &pgConnErr):
		return kindUnavailable
	case errors.As(err, &sqliteErr):
		switch c := sqliteErr.Code(); {
		case c == sqliteConstraintUnique || c == sqliteConstraintPK:
			return kindUnique
		case c == sqliteConstraintFK:
			return kindForeignKey
		case c&0xff == sqliteTooBig:
			return kindInvalidInput
		case c&0xff == sqliteBusy, c&0xff == sqliteLocked, c&0xff == sqliteCantOpen,
			c&0xff == sqliteIOErr, c&0xff == sqliteFull, c&0xff == sqliteReadOnly:
			return kindUnavailable
		}
		return kindOther
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return kindOther
	case errors.Is(err, driver.ErrBadConn), errors.Is(err, mysql.ErrInvalidConn),
		errors.Is(err, syscall.ECONNREFUSED), errors.Is(err, syscall.ECONNRESET),
		errors.Is(err, syscall.EPIPE), errors.Is(err, sql.ErrConnDone), errors.As(err, &netErr),
		// A connection the database (or the network) dropped mid-query.
		errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF),
		// database/sql's own "sql: database is closed" has no exported value.
		err.Error() == "sql: database is closed":
		return kindUnavailable
	}
	return kindOther
}

func isRetryable(err error) bool { return classify(err) == kindRetry }

// mapErr turns a driver error into the store's vocabulary, with what as context. Driver
// messages stay in the cause (for logs) and never in the reason shown to users.
func mapErr(err error, what string) error {
	if err == nil {
		return nil
	}
	var ae *apierr.Error
	if errors.As(err, &ae) {
		return err
	}
	if errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("%s: %w", what, apierr.ErrNotFound.WithCause(err))
	}
	switch classify(err) {
	case kindUnique:
		return fmt.Errorf("%s: %w", what, apierr.ErrConflict.WithReason("a record with the same unique value already exists").WithCause(err))
	case kindForeignKey:
		return fmt.Errorf("%s: %w", what, apierr.ErrNotFound.WithReason("a record it refers to does not exist").WithCause(err))
	case kindUnavailable:
		return fmt.Errorf("%s: %w", what, apierr.ErrUnavailable.WithReason("the database cannot be reached").WithCause(err))
	case kindRetry:
		return fmt.Errorf("%s: %w", what, apierr.ErrConflict.WithReason("a concurrent change got in the way, please retry").WithCause(err))
	case kindInvalidInput:
		return fmt.Errorf("%s: %w", what, apierr.ErrBadRequest.WithReason("the database cannot store a value in the request").WithCause(err))
	}
	return fmt.Errorf("%s: %w", what, err)
}

// mapUnique is mapErr, but a uniqueness violation becomes a conflict with the given reason.
func mapUnique(err error, what, reason string) error {
	if err != nil && classify(err) == kindUnique {
		return fmt.Errorf("%s: %w", what, apierr.ErrConflict.WithReason("%s", reason).WithCause(err))
	}
	return mapErr(err, what)
}
