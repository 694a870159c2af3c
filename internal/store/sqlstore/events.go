package sqlstore

import (
	"context"
	"encoding/base64"
	"errors"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/portico-auth/portico/internal/audit"
	"github.com/portico-auth/portico/internal/store"
)

const eventCols = "id, identity_id, session_id, type, address, user_agent, details, created_at"

// RecordEvents stores events on their own, one insert each (one for a sign-in); several are
// stored together or not at all.
func (s *Store) RecordEvents(ctx context.Context, evs ...audit.Event) error {
	if len(evs) <= 1 {
		return s.insertEvents(ctx, s.writer(), evs)
	}
	return s.inTx(ctx, func(tx q) error { return s.insertEvents(ctx, tx, evs) })
}

// insertEvents inserts evs, bounded, with x (a transaction when they go with a change).
func (s *Store) insertEvents(ctx context.Context, x q, evs []audit.Event) error {
	now := s.now()
	for _, ev := range evs {
		_, err := x.exec(ctx, "INSERT INTO audit_events ("+eventCols+") VALUES (?, ?, ?, ?, ?, ?, ?, ?)", s.eventRow(ev, now)...)
		if err != nil {
			return mapErr(err, "record audit event")
		}
	}
	return nil
}

// eventRow is the values of eventCols for ev, bounded at now (audit.Event.Bounded).
func (s *Store) eventRow(ev audit.Event, now time.Time) []any {
	ev = ev.Bounded(now)
	return []any{ev.ID, nullUUID(ev.IdentityID), nullUUID(ev.SessionID), ev.Type, ev.Address, ev.UserAgent,
		string(ev.Details), s.d.time(ev.Time)}
}

// errNothingAudited rolls back an audited write that changed nothing, so that its events are
// not stored; audited callers turn it back into their own "nothing" result.
var errNothingAudited = errors.New("sqlstore: the audited write changed nothing")

// audited runs fn with the writer; when ctx carries audit events, fn runs in a transaction
// that stores them too (tryTx), so an fn that fails stores none. Events given by a function
// are computed only there, once, after fn has set what only the write knows (audit.Revoked).
func (s *Store) audited(ctx context.Context, fn func(x q) error) error {
	if !audit.Carries(ctx) {
		return fn(s.writer())
	}
	return s.inTx(ctx, fn)
}

func scanEvent(sc scanner) (audit.Event, error) {
	var (
		ev            audit.Event
		ident, sessID uuid.NullUUID
		details       string
		at            timeCol
	)
	if err := sc.Scan(&ev.ID, &ident, &sessID, &ev.Type, &ev.Address, &ev.UserAgent, &details, &at); err != nil {
		return ev, err
	}
	if ident.Valid {
		u := ident.UUID
		ev.IdentityID = &u
	}
	if sessID.Valid {
		u := sessID.UUID
		ev.SessionID = &u
	}
	ev.Details = []byte(details)
	ev.Time = at.T
	return ev, nil
}

// ListEvents returns a page of an identity's events, newest first (created_at, then id).
func (s *Store) ListEvents(ctx context.Context, identityID uuid.UUID, p store.ListParams) ([]audit.Event, string, error) {
	size := pageSize(p.PageSize)
	query, args := "SELECT "+eventCols+" FROM audit_events WHERE identity_id = ?", []any{identityID}
	if p.PageToken != "" {
		at, id, err := decodeEventToken(p.PageToken)
		if err != nil {
			return nil, "", err
		}
		cond, cargs := s.d.olderThan("created_at", "id", at, id)
		query, args = query+" AND "+cond, append(args, cargs...)
	}
	query += " ORDER BY created_at DESC, id DESC LIMIT " + strconv.Itoa(size+1)
	out, err := queryAll(ctx, s.reader(), "list audit events", query, args, scanEvent)
	if err != nil {
		return nil, "", err
	}
	out, next := nextPage(out, size, func(e audit.Event) (time.Time, uuid.UUID) { return e.Time, e.ID })
	if next != "" {
		next = eventTokenPrefix + next
	}
	return out, next, nil
}

// eventTokenPrefix marks a page token of the events' list ('.' is not in the base64url
// alphabet), so that no other list's token is read as one of its own, nor its own as another's.
const eventTokenPrefix = "ev."

// decodeEventToken reads a page token of ListEvents back.
func decodeEventToken(tok string) (time.Time, uuid.UUID, error) {
	rest, ok := strings.CutPrefix(tok, eventTokenPrefix)
	if !ok {
		return time.Time{}, uuid.Nil, errBadPageToken
	}
	return decodeSessionToken(rest)
}

// timeIDToken is the page token of a listing ordered by a time and an id, newest first (read
// back by decodeSessionToken).
func timeIDToken(t time.Time, id uuid.UUID) string {
	return base64.RawURLEncoding.EncodeToString([]byte(strconv.FormatInt(t.UnixMicro(), 10) + "_" + id.String()))
}

// DeleteEventsBefore deletes at most limit (≤ 0: all) events that happened before t.
func (s *Store) DeleteEventsBefore(ctx context.Context, t time.Time, limit int) (int, error) {
	return s.deleteOld(ctx, "delete old audit events", s.d.deleteLimited("audit_events", "created_at < ?", "created_at", limit), s.d.time(t))
}
