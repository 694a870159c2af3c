package sqlstore

import (
	"context"
	"database/sql"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/portico-auth/portico/internal/apierr"
	"github.com/portico-auth/portico/internal/audit"
	"github.com/portico-auth/portico/internal/identity"
	"github.com/portico-auth/portico/internal/session"
	"github.com/portico-auth/portico/internal/store"
)

var errSessionNotFound = apierr.ErrNotFound.WithReason("the session does not exist")

// sessionCols are the session columns, in scanSession's order, from alias s.
const sessionCols = `s.id, s.token_hash, s.version, s.identity_id, s.active, s.aal,
	s.authenticated_at, s.issued_at, s.expires_at, s.authentication_methods, s.devices`

func scanSession(sc scanner) (*session.Session, error) {
	var (
		s                           session.Session
		aal, methods, devices       string
		authAt, issuedAt, expiresAt timeCol
		idDest                      identityDest
	)
	dest := append([]any{&s.ID, &s.TokenHash, &s.Version, &s.IdentityID, &s.Active, &aal,
		&authAt, &issuedAt, &expiresAt, &methods, &devices}, idDest.targets()...)
	if err := sc.Scan(dest...); err != nil {
		return nil, err
	}
	s.Identity = idDest.identity()
	s.AAL = session.AAL(aal)
	s.AuthenticatedAt, s.IssuedAt, s.ExpiresAt = authAt.T, issuedAt.T, expiresAt.T
	s.AuthenticationMethods = []session.AuthenticationMethod{}
	s.Devices = []session.Device{}
	if err := json.Unmarshal([]byte(methods), &s.AuthenticationMethods); err != nil {
		return nil, fmt.Errorf("decode authentication methods: %w", err)
	}
	if err := json.Unmarshal([]byte(devices), &s.Devices); err != nil {
		return nil, fmt.Errorf("decode devices: %w", err)
	}
	return &s, nil
}

func (s *Store) sessionJSON(ss *session.Session) (methods, devices string, err error) {
	if methods, err = methodsJSON(ss); err != nil {
		return "", "", err
	}
	d := ss.Devices
	if d == nil {
		d = []session.Device{}
	}
	for i := range d {
		if d[i].ID == uuid.Nil {
			d[i].ID = uuid.New()
		}
	}
	db, err := json.Marshal(d)
	if err != nil {
		return "", "", fmt.Errorf("encode devices: %w", err)
	}
	return methods, string(db), nil
}

func methodsJSON(ss *session.Session) (string, error) {
	m := ss.AuthenticationMethods
	if m == nil {
		m = []session.AuthenticationMethod{}
	}
	for i := range m {
		m[i].CompletedAt = normTime(m[i].CompletedAt)
	}
	mb, err := json.Marshal(m)
	if err != nil {
		return "", fmt.Errorf("encode authentication methods: %w", err)
	}
	return string(mb), nil
}

// CreateSession stores a new session. Zero ID and IssuedAt are filled in; AuthenticatedAt
// defaults to IssuedAt and IdentityID to Identity.ID.
func (s *Store) CreateSession(ctx context.Context, ss *session.Session) error {
	methods, devices, err := s.prepareSession(ss)
	if err != nil {
		return err
	}
	return s.insertSession(ctx, s.writer(), ss, methods, devices)
}

// CreateSessionCapped stores a new session and, in the same transaction, revokes the
// identity's oldest live sessions beyond max (the new one counts). The identity's row is
// locked first on PostgreSQL and MySQL, so two sign-ins of one identity at once cannot both
// count the live sessions without the other's (SQLite has one writer anyway). The number
// revoked is also told to the audit events ctx carries (audit.SetRevoked), written in the
// same transaction.
func (s *Store) CreateSessionCapped(ctx context.Context, ss *session.Session, max int) (int, error) {
	if max <= 0 {
		return 0, s.CreateSession(ctx, ss)
	}
	methods, devices, err := s.prepareSession(ss)
	if err != nil {
		return 0, err
	}
	revoked := 0
	err = s.inTx(ctx, func(tx q) error {
		revoked = 0
		audit.SetRevoked(ctx, 0)
		// On SQLite there is no lock to take, but the check still keeps a sign-in from
		// adding a session to an identity deleted since it was read.
		var one int
		err := tx.row(ctx, "SELECT 1 FROM identities i WHERE i.id = ? AND "+liveIdentity+" "+s.d.lockRow(), ss.IdentityID).Scan(&one)
		if err == sql.ErrNoRows {
			return errIdentityNotFound
		}
		if err != nil {
			return mapErr(err, "lock identity")
		}
		if err := s.insertSession(ctx, tx, ss, methods, devices); err != nil {
			return err
		}
		// The other live sessions past the newest max-1: the new one always stays (its
		// issued_at may be older than another instance's). At most a page of them per
		// sign-in (a cap lowered on a populated database takes effect over a few sign-ins).
		ids, err := queryAll(ctx, tx, "find sessions over the cap", `SELECT s.id FROM sessions s
			WHERE s.identity_id = ? AND s.active = ? AND s.expires_at > ? AND s.id <> ?
			ORDER BY s.issued_at DESC, s.id DESC LIMIT `+strconv.Itoa(maxPageSize)+" OFFSET "+strconv.Itoa(max-1),
			[]any{ss.IdentityID, true, s.d.time(s.now()), ss.ID}, scanUUID)
		if err != nil || len(ids) == 0 {
			return err
		}
		args := []any{false, s.d.time(s.now())}
		for _, id := range ids {
			args = append(args, id)
		}
		res, err := tx.exec(ctx, "UPDATE sessions SET active = ?, updated_at = ? WHERE id IN ("+placeholders(len(ids))+")", args...)
		if err != nil {
			return mapErr(err, "revoke sessions over the cap")
		}
		n, err := res.RowsAffected()
		revoked = int(n)
		// For the audit event of the same transaction (audit.Revoked).
		audit.SetRevoked(ctx, revoked)
		return err
	})
	if err != nil {
		return 0, err
	}
	return revoked, nil
}

func scanUUID(sc scanner) (uuid.UUID, error) {
	var id uuid.UUID
	err := sc.Scan(&id)
	return id, err
}

// prepareSession fills in a new session's defaults and encodes its JSON columns.
func (s *Store) prepareSession(ss *session.Session) (methods, devices string, err error) {
	if len(ss.TokenHash) == 0 {
		return "", "", fmt.Errorf("create session: %w", apierr.ErrInternal.WithReason("the session has no token hash"))
	}
	if ss.ID == uuid.Nil {
		ss.ID = uuid.New()
	}
	if ss.IdentityID == uuid.Nil && ss.Identity != nil {
		ss.IdentityID = ss.Identity.ID
	}
	if ss.IssuedAt.IsZero() {
		ss.IssuedAt = s.now()
	}
	if ss.AuthenticatedAt.IsZero() {
		ss.AuthenticatedAt = ss.IssuedAt
	}
	ss.IssuedAt, ss.AuthenticatedAt, ss.ExpiresAt = normTime(ss.IssuedAt), normTime(ss.AuthenticatedAt), normTime(ss.ExpiresAt)
	return s.sessionJSON(ss)
}

func (s *Store) insertSession(ctx context.Context, x q, ss *session.Session, methods, devices string) error {
	now := s.now()
	_, err := x.exec(ctx, `INSERT INTO sessions (id, token_hash, version, identity_id, active, aal,
		authenticated_at, issued_at, expires_at, authentication_methods, devices, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		ss.ID, ss.TokenHash, 1, ss.IdentityID, ss.Active, string(ss.AAL),
		s.d.time(ss.AuthenticatedAt), s.d.time(ss.IssuedAt), s.d.time(ss.ExpiresAt), methods, devices,
		s.d.time(now), s.d.time(now))
	if err != nil {
		return mapUnique(err, "insert session", "a session with this id or token already exists")
	}
	ss.Version = 1
	return nil
}

// GetSessionByToken finds a session by the SHA-256 of its token.
func (s *Store) GetSessionByToken(ctx context.Context, tokenHash []byte) (*session.Session, error) {
	if p := store.FlowPrefetchFrom(ctx); p != nil {
		return s.getSessionWithFlow(ctx, tokenHash, p)
	}
	return s.getSession(ctx, s.qSessionRowByToken, s.qSessionByToken, tokenHash)
}

// GetSession finds a session by id.
func (s *Store) GetSession(ctx context.Context, id uuid.UUID) (*session.Session, error) {
	return s.getSession(ctx, s.qSessionRowByID, s.qSessionByID, id)
}

// getSession loads a session with its identity, the identity's credentials (with configs:
// the settings and login methods need them, and loading them here saves those requests a
// second read of the identity) and addresses: the session and identity rows (rowQuery), with
// the relations remembered for the identity's version (relationCache); otherwise the
// relations alone (relationsQuery), which are then remembered. Only when the identity changed
// between those two statements is everything read again in one (loadQuery, see
// sessionLoadQuery), so that the identity row and its relations are always of one version.
func (s *Store) getSession(ctx context.Context, rowQuery, loadQuery string, arg any) (*session.Session, error) {
	ss, err := scanSession(s.reader().row(ctx, rowQuery, arg))
	return s.finishSession(ctx, ss, err, loadQuery, arg)
}

// getSessionWithFlow is GetSessionByToken reading p's flow in the session row's statement
// (qSessionRowFlowByToken): one round trip instead of two when the identity's relations are
// remembered.
func (s *Store) getSessionWithFlow(ctx context.Context, tokenHash []byte, p *store.FlowPrefetch) (*session.Session, error) {
	var f flowDest
	row := s.reader().row(ctx, s.qSessionRowFlowByToken, p.ID, p.Kind, tokenHash)
	ss, err := scanSession(rowTail{row: row, tail: f.targets()})
	if err == nil {
		// A flow that cannot be decoded is not served: the caller reads it with GetFlow,
		// which reports why.
		if r, ferr := f.record(); ferr == nil {
			p.Done, p.Record = true, r
		}
	}
	return s.finishSession(ctx, ss, err, s.qSessionByToken, tokenHash)
}

// rowTail scans a row whose last columns are tail's, after those the caller scans.
type rowTail struct {
	row  *sql.Row
	tail []any
}

func (r rowTail) Scan(targets ...any) error {
	return r.row.Scan(append(targets, r.tail...)...)
}

// finishSession completes a session row read (ss, err) with the identity's relations: from
// the cache, else loaded (loadQuery, arg: the one-statement read when the identity changed
// meanwhile).
func (s *Store) finishSession(ctx context.Context, ss *session.Session, err error, loadQuery string, arg any) (*session.Session, error) {
	if err == nil && !s.rels.fill(ss.Identity) {
		var same bool
		if same, err = s.loadRelationsOf(ctx, ss.Identity); err == nil && !same {
			ss, err = s.loadSession(ctx, loadQuery, arg)
		}
		if err == nil {
			s.rels.put(ss.Identity)
		}
	}
	if err == sql.ErrNoRows {
		return nil, errSessionNotFound
	}
	if err != nil {
		return nil, mapErr(err, "get session")
	}
	return ss, nil
}

// RecordSessionAuthentication stores authenticated_at, aal and authentication_methods of a
// live session over the version they were read at (see store.Sessions for the rule).
func (s *Store) RecordSessionAuthentication(ctx context.Context, ss *session.Session, now time.Time) error {
	ss.AuthenticatedAt = normTime(ss.AuthenticatedAt)
	methods, err := methodsJSON(ss)
	if err != nil {
		return err
	}
	res, err := s.writer().exec(ctx, `UPDATE sessions SET authenticated_at = ?, aal = ?, authentication_methods = ?,
		version = version + 1, updated_at = ? WHERE id = ? AND version = ? AND active = ? AND expires_at > ?`,
		s.d.time(ss.AuthenticatedAt), string(ss.AAL), methods, s.d.time(s.now()), ss.ID, ss.Version, true,
		s.d.time(normTime(now)))
	if err != nil {
		return mapErr(err, "record session authentication")
	}
	if err := affected(res, errNoRow); err == errNoRow {
		return s.sessionUnchanged(ctx, ss.ID, now, errSessionChanged)
	} else if err != nil {
		return mapErr(err, "record session authentication")
	}
	ss.Version++
	return nil
}

// ExtendSession moves expires_at of a live session of an active identity. The identity is
// checked by a correlated EXISTS, a primary-key lookup: as "identity_id IN (SELECT … WHERE
// state = ?)" SQLite built the list of every active identity for each extend (3 extends a
// second on 100,000 identities, bench/scale).
func (s *Store) ExtendSession(ctx context.Context, id uuid.UUID, now, expiresAt time.Time) error {
	w := s.writer()
	res, err := w.exec(ctx, `UPDATE sessions SET expires_at = ?, updated_at = ?
		WHERE id = ? AND active = ? AND expires_at > ?
		AND EXISTS (SELECT 1 FROM identities i WHERE i.id = sessions.identity_id AND i.state = ? AND `+liveIdentity+`)`+w.andLazy(),
		s.d.time(normTime(expiresAt)), s.d.time(s.now()), id, true, s.d.time(normTime(now)), string(identity.StateActive))
	if err != nil {
		return mapErr(err, "extend session")
	}
	if err := affected(res, errNoRow); err == errNoRow {
		// A live session whose identity is not active is as unusable as a revoked one.
		return s.sessionUnchanged(ctx, id, now, session.ErrInactive)
	} else if err != nil {
		return mapErr(err, "extend session")
	}
	return nil
}

var (
	errNoRow          = errors.New("no row changed")
	errSessionChanged = apierr.ErrConflict.WithReason("the session was changed by another request")
)

// sessionUnchanged explains why a conditional session write changed nothing: the session does
// not exist (ErrNotFound), it is revoked or expired at now (session.ErrInactive), or else
// the writer's own condition failed (ifLive). It reads after the write failed, so a session
// revoked in between is reported revoked, which is what it now is.
func (s *Store) sessionUnchanged(ctx context.Context, id uuid.UUID, now time.Time, ifLive error) error {
	var (
		active  bool
		expires timeCol
	)
	err := s.writer().row(ctx, "SELECT active, expires_at FROM sessions WHERE id = ?", id).Scan(&active, &expires)
	if err == sql.ErrNoRows {
		return errSessionNotFound
	}
	if err != nil {
		return mapErr(err, "read session")
	}
	if !active || !expires.T.After(normTime(now)) {
		return session.ErrInactive
	}
	return ifLive
}

// ListSessions lists sessions newest first (by issued_at, then id).
func (s *Store) ListSessions(ctx context.Context, identityID uuid.UUID, active *bool, p store.ListParams) ([]*session.Session, string, error) {
	size := pageSize(p.PageSize)
	var (
		where []string
		args  []any
	)
	if identityID != uuid.Nil {
		where, args = append(where, "s.identity_id = ?"), append(args, identityID)
	}
	if active != nil {
		where, args = append(where, "s.active = ?"), append(args, *active)
	}
	if p.PageToken != "" {
		at, id, err := decodeSessionToken(p.PageToken)
		if err != nil {
			return nil, "", err
		}
		cond, cargs := s.d.olderThan("s.issued_at", "s.id", at, id)
		where, args = append(where, cond), append(args, cargs...)
	}
	// The page of sessions is chosen first, then joined with its identities: joined before
	// the LIMIT, SQLite scanned every identity, joined all their sessions and sorted them
	// (3 pages a second, p99 48 s for the first page of /admin/sessions at 500,000 sessions,
	// bench/scale); the subquery walks the issued_at index and stops after one page.
	// Sessions of a deleted identity (its tombstone, until the batches remove them) are left
	// out before the LIMIT, so that a page is full whenever a next one exists: by the set of
	// tombstoned identities, read once per page through the partial index that holds only
	// them (identities_deleted_at_idx; a deletion's tombstone lasts until its batches end).
	// Not as EXISTS on identities: SQLite 3.54 turns that into a join with a Bloom filter
	// built over every identity, a walk of the whole table per page (1M identities and 10M
	// sessions: 514 ms a page, 7 pages a second; as NOT IN, 8 ms; bench/scale).
	where = append(where, "s.identity_id NOT IN (SELECT i.id FROM identities i WHERE i.deleted_at IS NOT NULL)")
	inner := "SELECT s.* FROM sessions s WHERE " + strings.Join(where, " AND ")
	const order = " ORDER BY s.issued_at DESC, s.id DESC"
	query := "SELECT " + sessionCols + ", " + identityCols + " FROM (" + inner + order + " LIMIT " + strconv.Itoa(size+1) +
		") s JOIN identities i ON i.id = s.identity_id AND " + liveIdentity + order
	r := s.reader()
	out, err := queryAll(ctx, r, "list sessions", query, args, scanSession)
	if err != nil {
		return nil, "", err
	}
	out, next := nextPage(out, size, func(ss *session.Session) (time.Time, uuid.UUID) { return ss.IssuedAt, ss.ID })
	// One identity object per identity, shared by its sessions, with its addresses (two
	// queries) but not its credentials: a session is shown with the public view of its
	// identity, which has none, and the credentials' query was about 2,000 of the ~5,000
	// buffers a page of 250 sessions read at 1M identities.
	byID := map[uuid.UUID]*identity.Identity{}
	var ids []*identity.Identity
	for _, ss := range out {
		if id, ok := byID[ss.IdentityID]; ok {
			ss.Identity = id
			continue
		}
		byID[ss.IdentityID] = ss.Identity
		ids = append(ids, ss.Identity)
	}
	if err := s.loadAddressesOf(ctx, r, ids); err != nil {
		return nil, "", err
	}
	return out, next, nil
}

// nextPage cuts out, read with one row more than size, to a page of size and returns the token
// of the page after it (key gives a row's time and id), or "" when out is the last page.
func nextPage[T any](out []T, size int, key func(T) (time.Time, uuid.UUID)) ([]T, string) {
	if len(out) <= size {
		return out, ""
	}
	out = out[:size]
	return out, timeIDToken(key(out[size-1]))
}

// decodeSessionToken reads a token of timeIDToken back.
func decodeSessionToken(tok string) (time.Time, uuid.UUID, error) {
	b, err := base64.RawURLEncoding.DecodeString(tok)
	if err != nil {
		return time.Time{}, uuid.Nil, errBadPageToken
	}
	ts, idStr, ok := strings.Cut(string(b), "_")
	if !ok {
		return time.Time{}, uuid.Nil, errBadPageToken
	}
	micros, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return time.Time{}, uuid.Nil, errBadPageToken
	}
	id, err := uuid.Parse(idStr)
	if err != nil {
		return time.Time{}, uuid.Nil, errBadPageToken
	}
	return time.UnixMicro(micros).UTC(), id, nil
}

// RevokeSession deactivates one session (of identityID, unless that is uuid.Nil); with the
// audit events ctx carries when it found the session.
func (s *Store) RevokeSession(ctx context.Context, identityID, sessionID uuid.UUID) error {
	query, args := "UPDATE sessions SET active = ?, updated_at = ? WHERE id = ?", []any{false, s.d.time(s.now()), sessionID}
	if identityID != uuid.Nil {
		query, args = query+" AND identity_id = ?", append(args, identityID)
	}
	return s.audited(ctx, func(x q) error {
		res, err := x.exec(ctx, query, args...)
		if err != nil {
			return mapErr(err, "revoke session")
		}
		return affected(res, errSessionNotFound)
	})
}

// RevokeSessionsExcept deactivates every active session of the identity except keep; with the
// audit events ctx carries when it deactivated any.
func (s *Store) RevokeSessionsExcept(ctx context.Context, identityID, keep uuid.UUID) (int, error) {
	var n int64
	err := s.audited(ctx, func(x q) error {
		res, err := x.exec(ctx, `UPDATE sessions SET active = ?, updated_at = ?
			WHERE identity_id = ? AND id <> ? AND active = ?`, false, s.d.time(s.now()), identityID, keep, true)
		if err != nil {
			return mapErr(err, "revoke sessions")
		}
		if n, err = res.RowsAffected(); err != nil {
			return mapErr(err, "revoke sessions")
		}
		if n == 0 {
			return errNothingAudited
		}
		return nil
	})
	if errors.Is(err, errNothingAudited) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	return int(n), nil
}

// DeleteSessionsExpiredBefore deletes at most limit (≤ 0: all) sessions that expired before t.
func (s *Store) DeleteSessionsExpiredBefore(ctx context.Context, t time.Time, limit int) (int, error) {
	return s.deleteExpired(ctx, "sessions", t, limit)
}

func (s *Store) deleteExpired(ctx context.Context, table string, t time.Time, limit int) (int, error) {
	return s.deleteOld(ctx, "delete expired "+table, s.d.deleteLimited(table, "expires_at < ?", "expires_at", limit), s.d.time(t))
}
