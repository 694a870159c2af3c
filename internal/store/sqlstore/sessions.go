package sqlstore

import (
	"context"
	"database/sql"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/portico-auth/portico/internal/apierr"
	"github.com/portico-auth/portico/internal/identity"
	"github.com/portico-auth/portico/internal/session"
	"github.com/portico-auth/portico/internal/store"
)

var errSessionNotFound = apierr.ErrNotFound.WithReason("the session does not exist")

// sessionCols are the session columns, in scanSession's order, from alias s.
const sessionCols = `s.id, s.token_hash, s.logout_token_hash, s.identity_id, s.active, s.aal,
	s.authenticated_at, s.issued_at, s.expires_at, s.authentication_methods, s.devices`

// sessionSelect reads sessions with their identities in one query; the identities' credentials
// and addresses follow in loadRelations' two queries.
const sessionSelect = "SELECT " + sessionCols + ", " + identityCols +
	" FROM sessions s JOIN identities i ON i.id = s.identity_id "

func scanSession(sc scanner) (*session.Session, error) {
	var (
		s                           session.Session
		aal, methods, devices       string
		authAt, issuedAt, expiresAt timeCol
		logout                      []byte
		idDest                      identityDest
	)
	dest := append([]any{&s.ID, &s.TokenHash, &logout, &s.IdentityID, &s.Active, &aal,
		&authAt, &issuedAt, &expiresAt, &methods, &devices}, idDest.targets()...)
	if err := sc.Scan(dest...); err != nil {
		return nil, err
	}
	s.Identity = idDest.identity()
	if len(logout) > 0 {
		s.LogoutTokenHash = logout
	}
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
	m := ss.AuthenticationMethods
	if m == nil {
		m = []session.AuthenticationMethod{}
	}
	for i := range m {
		m[i].CompletedAt = normTime(m[i].CompletedAt)
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
	mb, err := json.Marshal(m)
	if err != nil {
		return "", "", fmt.Errorf("encode authentication methods: %w", err)
	}
	db, err := json.Marshal(d)
	if err != nil {
		return "", "", fmt.Errorf("encode devices: %w", err)
	}
	return string(mb), string(db), nil
}

// CreateSession stores a new session. Zero ID and IssuedAt are filled in; AuthenticatedAt
// defaults to IssuedAt and IdentityID to Identity.ID.
func (s *Store) CreateSession(ctx context.Context, ss *session.Session) error {
	if len(ss.TokenHash) == 0 {
		return fmt.Errorf("create session: %w", apierr.ErrInternal.WithReason("the session has no token hash"))
	}
	if ss.ID == uuid.Nil {
		ss.ID = uuid.New()
	}
	if ss.IdentityID == uuid.Nil && ss.Identity != nil {
		ss.IdentityID = ss.Identity.ID
	}
	now := s.now()
	if ss.IssuedAt.IsZero() {
		ss.IssuedAt = now
	}
	if ss.AuthenticatedAt.IsZero() {
		ss.AuthenticatedAt = ss.IssuedAt
	}
	ss.IssuedAt, ss.AuthenticatedAt, ss.ExpiresAt = normTime(ss.IssuedAt), normTime(ss.AuthenticatedAt), normTime(ss.ExpiresAt)
	methods, devices, err := s.sessionJSON(ss)
	if err != nil {
		return err
	}
	_, err = s.writer().exec(ctx, `INSERT INTO sessions (id, token_hash, logout_token_hash, identity_id, active, aal,
		authenticated_at, issued_at, expires_at, authentication_methods, devices, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		ss.ID, ss.TokenHash, bytesOrNil(ss.LogoutTokenHash), ss.IdentityID, ss.Active, string(ss.AAL),
		s.d.time(ss.AuthenticatedAt), s.d.time(ss.IssuedAt), s.d.time(ss.ExpiresAt), methods, devices,
		s.d.time(now), s.d.time(now))
	return mapUnique(err, "insert session", "a session with this id or token already exists")
}

// GetSessionByToken finds a session by the SHA-256 of its token.
func (s *Store) GetSessionByToken(ctx context.Context, tokenHash []byte) (*session.Session, error) {
	return s.getSession(ctx, s.qSessionByToken, tokenHash)
}

// GetSession finds a session by id.
func (s *Store) GetSession(ctx context.Context, id uuid.UUID) (*session.Session, error) {
	return s.getSession(ctx, s.qSessionByID, id)
}

// getSession loads a session with its identity, the identity's credentials (with configs:
// the settings and login methods need them, and loading them here saves those requests a
// second read of the identity) and addresses, in one query (see sessionLoadQuery).
func (s *Store) getSession(ctx context.Context, query string, arg any) (*session.Session, error) {
	ss, err := s.loadSession(ctx, query, arg)
	if err == sql.ErrNoRows {
		return nil, errSessionNotFound
	}
	if err != nil {
		return nil, mapErr(err, "get session")
	}
	return ss, nil
}

// UpdateSession stores the session's mutable fields.
func (s *Store) UpdateSession(ctx context.Context, ss *session.Session) error {
	ss.AuthenticatedAt, ss.ExpiresAt = normTime(ss.AuthenticatedAt), normTime(ss.ExpiresAt)
	methods, devices, err := s.sessionJSON(ss)
	if err != nil {
		return err
	}
	res, err := s.writer().exec(ctx, `UPDATE sessions SET active = ?, expires_at = ?, authenticated_at = ?, aal = ?,
		authentication_methods = ?, devices = ?, logout_token_hash = ?, updated_at = ? WHERE id = ?`,
		ss.Active, s.d.time(ss.ExpiresAt), s.d.time(ss.AuthenticatedAt), string(ss.AAL), methods, devices,
		bytesOrNil(ss.LogoutTokenHash), s.d.time(s.now()), ss.ID)
	if err != nil {
		return mapErr(err, "update session")
	}
	return affected(res, errSessionNotFound)
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
		where = append(where, "(s.issued_at < ? OR (s.issued_at = ? AND s.id < ?))")
		args = append(args, s.d.time(at), s.d.time(at), id)
	}
	query := sessionSelect
	if len(where) > 0 {
		query += "WHERE " + strings.Join(where, " AND ")
	}
	query += " ORDER BY s.issued_at DESC, s.id DESC LIMIT " + strconv.Itoa(size+1)
	r := s.reader()
	out, err := queryAll(ctx, r, "list sessions", query, args, scanSession)
	if err != nil {
		return nil, "", err
	}
	next := ""
	if len(out) > size {
		out = out[:size]
		last := out[size-1]
		next = base64.RawURLEncoding.EncodeToString([]byte(strconv.FormatInt(last.IssuedAt.UnixMicro(), 10) + "_" + last.ID.String()))
	}
	// One identity object per identity, shared by its sessions, loaded in two queries.
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
	if err := s.loadRelations(ctx, r, ids, false); err != nil {
		return nil, "", err
	}
	return out, next, nil
}

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

// RevokeSession deactivates one session (of identityID, unless that is uuid.Nil).
func (s *Store) RevokeSession(ctx context.Context, identityID, sessionID uuid.UUID) error {
	query, args := "UPDATE sessions SET active = ?, updated_at = ? WHERE id = ?", []any{false, s.d.time(s.now()), sessionID}
	if identityID != uuid.Nil {
		query, args = query+" AND identity_id = ?", append(args, identityID)
	}
	res, err := s.writer().exec(ctx, query, args...)
	if err != nil {
		return mapErr(err, "revoke session")
	}
	return affected(res, errSessionNotFound)
}

// RevokeSessionsExcept deactivates every active session of the identity except keep.
func (s *Store) RevokeSessionsExcept(ctx context.Context, identityID, keep uuid.UUID) (int, error) {
	res, err := s.writer().exec(ctx, `UPDATE sessions SET active = ?, updated_at = ?
		WHERE identity_id = ? AND id <> ? AND active = ?`, false, s.d.time(s.now()), identityID, keep, true)
	if err != nil {
		return 0, mapErr(err, "revoke sessions")
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, mapErr(err, "revoke sessions")
	}
	return int(n), nil
}

// DeleteSessionsExpiredBefore deletes at most limit (≤ 0: all) sessions that expired before t.
func (s *Store) DeleteSessionsExpiredBefore(ctx context.Context, t time.Time, limit int) (int, error) {
	return s.deleteExpired(ctx, "sessions", t, limit)
}

func (s *Store) deleteExpired(ctx context.Context, table string, t time.Time, limit int) (int, error) {
	res, err := s.writer().exec(ctx, s.d.deleteLimited(table, "expires_at < ?", "expires_at", limit), s.d.time(t))
	if err != nil {
		return 0, mapErr(err, "delete expired "+table)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, mapErr(err, "delete expired "+table)
	}
	return int(n), nil
}
