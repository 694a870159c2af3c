package sqlstore

import (
	"context"
	"database/sql"
	"encoding/base64"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"

	"github.com/portico-auth/portico/internal/apierr"
	"github.com/portico-auth/portico/internal/audit"
	"github.com/portico-auth/portico/internal/identity"
	"github.com/portico-auth/portico/internal/store"
)

const (
	reasonIdentifierTaken = "an identity with this identifier already exists"
	reasonVerifiableTaken = "an identity with this verifiable address already exists"
	reasonRecoveryTaken   = "an identity with this recovery address already exists"
	reasonExternalIDTaken = "an identity with this external id already exists"

	defaultPageSize = 250
	maxPageSize     = 1000
)

var errIdentityNotFound = apierr.ErrNotFound.WithReason("the identity does not exist")

// CreateIdentity inserts the identity with its credentials, identifiers and addresses in one
// transaction.
func (s *Store) CreateIdentity(ctx context.Context, id *identity.Identity) error {
	now := s.now()
	if id.ID == uuid.Nil {
		id.ID = uuid.New()
	}
	if id.CreatedAt.IsZero() {
		id.CreatedAt = now
	}
	if id.UpdatedAt.IsZero() {
		id.UpdatedAt = id.CreatedAt
	}
	if id.State == "" {
		id.State = identity.StateActive
	}
	id.Version = 1
	s.prepareIdentity(id, now)
	return s.inTx(ctx, func(tx q) error {
		_, err := tx.exec(ctx, `INSERT INTO identities (id, schema_id, state, state_changed_at, traits,
			metadata_public, metadata_admin, organization_id, version, created_at, updated_at, external_id)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			id.ID, id.SchemaID, string(id.State), s.d.nullTime(id.StateChangedAt), jsonOr(id.Traits, "{}"),
			jsonText(id.MetadataPublic), jsonText(id.MetadataAdmin), nullUUID(id.OrganizationID),
			id.Version, s.d.time(id.CreatedAt), s.d.time(id.UpdatedAt), nullString(id.ExternalID))
		if err != nil {
			return mapUnique(err, "insert identity", reasonIdentityTaken(err))
		}
		return s.insertChildren(ctx, tx, id)
	})
}

// prepareIdentity fills in the IDs and times of what the identity holds and normalises every
// time to what the database gives back (UTC, microseconds).
func (s *Store) prepareIdentity(id *identity.Identity, n time.Time) {
	id.CreatedAt = normTime(id.CreatedAt)
	id.UpdatedAt = normTime(id.UpdatedAt)
	if id.StateChangedAt != nil {
		t := normTime(*id.StateChangedAt)
		id.StateChangedAt = &t
	}
	for t, c := range id.Credentials {
		c.Type = t
		fillRow(&c.ID, &c.CreatedAt, &c.UpdatedAt, n)
		c.Identifiers = dedupe(c.Identifiers)
		id.Credentials[t] = c
	}
	for i := range id.VerifiableAddresses {
		a := &id.VerifiableAddresses[i]
		fillRow(&a.ID, &a.CreatedAt, &a.UpdatedAt, n)
		if a.VerifiedAt != nil {
			t := normTime(*a.VerifiedAt)
			a.VerifiedAt = &t
		}
	}
	for i := range id.RecoveryAddresses {
		a := &id.RecoveryAddresses[i]
		fillRow(&a.ID, &a.CreatedAt, &a.UpdatedAt, n)
	}
}

// fillRow gives a child row a new id and times when it has none (updated_at defaults to
// created_at), in the stored form.
func fillRow(id *uuid.UUID, created, updated *time.Time, n time.Time) {
	if *id == uuid.Nil {
		*id = uuid.New()
	}
	if created.IsZero() {
		*created = n
	}
	if updated.IsZero() {
		*updated = *created
	}
	*created, *updated = normTime(*created), normTime(*updated)
}

func dedupe(in []string) []string {
	out := make([]string, 0, len(in))
	seen := make(map[string]bool, len(in))
	for _, v := range in {
		if !seen[v] {
			seen[v] = true
			out = append(out, v)
		}
	}
	return out
}

// reasonIdentityTaken says which uniqueness an identity insert broke: its external id (every
// dialect's message names the external_id column or its index) or its id.
func reasonIdentityTaken(err error) string {
	if err != nil && strings.Contains(err.Error(), "external_id") {
		return reasonExternalIDTaken
	}
	return "an identity with this id already exists"
}

func nullString(v string) any {
	if v == "" {
		return nil
	}
	return v
}

func nullUUID(u *uuid.UUID) any {
	if u == nil || *u == uuid.Nil {
		return nil
	}
	return *u
}

// insertChildren inserts credentials, identifiers and addresses of id.
func (s *Store) insertChildren(ctx context.Context, tx q, id *identity.Identity) error {
	for _, t := range sortedTypes(id.Credentials) {
		if err := s.insertCredential(ctx, tx, id, id.Credentials[t]); err != nil {
			return err
		}
	}
	for _, a := range id.VerifiableAddresses {
		if err := s.insertVerifiable(ctx, tx, id, a); err != nil {
			return err
		}
	}
	for _, a := range id.RecoveryAddresses {
		if err := s.insertRecovery(ctx, tx, id, a); err != nil {
			return err
		}
	}
	return nil
}

// insertCredential inserts one credential row with its identifiers and key ids.
func (s *Store) insertCredential(ctx context.Context, tx q, id *identity.Identity, c identity.Credentials) error {
	if _, err := tx.exec(ctx, `INSERT INTO identity_credentials (id, identity_id, type, config, version, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?)`,
		c.ID, id.ID, string(c.Type), jsonOr(c.Config, "{}"), c.Version, s.d.time(c.CreatedAt), s.d.time(c.UpdatedAt)); err != nil {
		return mapUnique(err, "insert credentials", "these credentials already exist")
	}
	for pos, ident := range c.Identifiers {
		if err := insertIdentifier(ctx, tx, id, c, ident, pos); err != nil {
			return err
		}
	}
	return insertKeyIDs(ctx, tx, id, c)
}

func insertIdentifier(ctx context.Context, tx q, id *identity.Identity, c identity.Credentials, ident string, pos int) error {
	if _, err := tx.exec(ctx, `INSERT INTO identity_credential_identifiers (credential_type, identifier, identity_id, credential_id, position)
		VALUES (?, ?, ?, ?, ?)`, string(c.Type), ident, id.ID, c.ID, pos); err != nil {
		return mapUnique(err, "insert credential identifier", reasonIdentifierTaken)
	}
	return nil
}

func (s *Store) insertVerifiable(ctx context.Context, tx q, id *identity.Identity, a identity.VerifiableAddress) error {
	if _, err := tx.exec(ctx, `INSERT INTO identity_verifiable_addresses (id, identity_id, via, value, verified, status, verified_at, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		a.ID, id.ID, a.Via, a.Value, a.Verified, a.Status, s.d.nullTime(a.VerifiedAt), s.d.time(a.CreatedAt), s.d.time(a.UpdatedAt)); err != nil {
		return mapUnique(err, "insert verifiable address", reasonVerifiableTaken)
	}
	return nil
}

func (s *Store) insertRecovery(ctx context.Context, tx q, id *identity.Identity, a identity.RecoveryAddress) error {
	if _, err := tx.exec(ctx, `INSERT INTO identity_recovery_addresses (id, identity_id, via, value, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?, ?)`,
		a.ID, id.ID, a.Via, a.Value, s.d.time(a.CreatedAt), s.d.time(a.UpdatedAt)); err != nil {
		return mapUnique(err, "insert recovery address", reasonRecoveryTaken)
	}
	return nil
}

// UpdateIdentity replaces the stored identity if id.Version is the stored version. Only the
// child rows that differ from the stored ones are written (writeChildren).
func (s *Store) UpdateIdentity(ctx context.Context, id *identity.Identity) error {
	return s.updateIdentityAt(ctx, id, s.now(), nil, identityExtras{})
}

// UpdateIdentityRevokingSessions updates the identity and deactivates its other sessions in
// one transaction.
func (s *Store) UpdateIdentityRevokingSessions(ctx context.Context, id *identity.Identity, keep uuid.UUID) error {
	return s.updateIdentityAt(ctx, id, s.now(), nil, identityExtras{revokeExcept: &keep})
}

// revokeOthers deactivates every active session of the identity but keep, and tells how many
// to the audit events of the transaction (audit.SetRevoked).
func (s *Store) revokeOthers(ctx context.Context, tx q, identityID, keep uuid.UUID, now time.Time) error {
	res, err := tx.exec(ctx, "UPDATE sessions SET active = ?, updated_at = ? WHERE identity_id = ? AND id <> ? AND active = ?",
		false, s.d.time(now), identityID, keep, true)
	if err != nil {
		return mapErr(err, "update identity: revoke sessions")
	}
	n, err := res.RowsAffected()
	if err != nil {
		return mapErr(err, "update identity: revoke sessions")
	}
	// For the audit event of the same transaction (audit.Revoked).
	audit.SetRevoked(ctx, int(n))
	return nil
}

// UpdateIdentityWith updates the identity and writes w's rows in one transaction.
func (s *Store) UpdateIdentityWith(ctx context.Context, id *identity.Identity, w store.IdentityWrites) error {
	now := s.now()
	var flows []store.FlowWrite
	if w.Flows != nil {
		// The copy the flows are built from is the identity as this update stores it; its
		// lists are its own, so a builder cannot change what is written.
		s.prepareIdentity(id, now)
		view := *id
		view.Version, view.UpdatedAt = id.Version+1, now
		view.VerifiableAddresses = slices.Clone(id.VerifiableAddresses)
		view.RecoveryAddresses = slices.Clone(id.RecoveryAddresses)
		var err error
		if flows, err = w.Flows(&view); err != nil {
			return err
		}
	}
	return s.updateIdentityAt(ctx, id, now, w.Stored, identityExtras{revokeExcept: w.RevokeSessionsExcept, flows: flows})
}

// identityExtras are the rows an identity update writes beside the identity's own.
type identityExtras struct {
	// revokeExcept, when not nil, deactivates the identity's other sessions (revokeOthers).
	revokeExcept *uuid.UUID
	flows        []store.FlowWrite
}

// updateIdentityAt replaces the stored identity and writes ex in the same transaction, with
// now, the updated_at it stores, and stored, the identity as read at id.Version when the
// caller has it (see store.IdentityWrites.Stored). On PostgreSQL, an update that writes no
// child row and revokes no session is one statement (updateIdentityOneStatement).
func (s *Store) updateIdentityAt(ctx context.Context, id *identity.Identity, now time.Time, stored *identity.Identity, ex identityExtras) error {
	s.prepareIdentity(id, now)
	// The version and updated_at the update moves on from (prepareIdentity normalised them).
	oldVersion, oldUpdated := id.Version, id.UpdatedAt
	if s.d.name == "postgres" && ex.revokeExcept == nil && usableStored(id, stored) &&
		diffChildren(stored, id).none() && distinctFlows(ex.flows) {
		if err := s.updateIdentityOneStatement(ctx, id, now, ex.flows); err != nil {
			return err
		}
		s.identityUpdated(id, oldVersion, oldUpdated, now, true)
		return nil
	}
	// children counts the statements writeChildren ran in the attempt that committed: none
	// means the relation rows are those of oldVersion.
	var children int
	err := s.inTx(ctx, func(tx q) error {
		res, err := tx.exec(ctx, identityUpdate, s.identityUpdateArgs(id, now)...)
		if err != nil {
			return mapUnique(err, "update identity", reasonExternalIDTaken)
		}
		if n, err := res.RowsAffected(); err != nil {
			return mapErr(err, "update identity")
		} else if n == 0 {
			return whyNotUpdated(ctx, tx, id.ID)
		}
		children = 0
		cw := tx
		cw.ran = &children
		if err := s.writeChildren(ctx, cw, id, stored); err != nil {
			return err
		}
		if ex.revokeExcept != nil {
			if err := s.revokeOthers(ctx, tx, id.ID, *ex.revokeExcept, now); err != nil {
				return err
			}
		}
		for _, f := range ex.flows {
			if err := s.writeFlow(ctx, tx, f, now); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	s.identityUpdated(id, oldVersion, oldUpdated, now, children == 0)
	return nil
}

// identityUpdate moves the identity row on to the next version if it is still at the version
// the caller read and not deleted (arguments: identityUpdateArgs).
const identityUpdate = `UPDATE identities AS i SET schema_id = ?, state = ?, state_changed_at = ?, traits = ?,
			metadata_public = ?, metadata_admin = ?, organization_id = ?, external_id = ?, version = version + 1, updated_at = ?
			WHERE i.id = ? AND i.version = ? AND ` + liveIdentity

func (s *Store) identityUpdateArgs(id *identity.Identity, updatedAt time.Time) []any {
	return []any{id.SchemaID, string(id.State), s.d.nullTime(id.StateChangedAt), jsonOr(id.Traits, "{}"),
		jsonText(id.MetadataPublic), jsonText(id.MetadataAdmin), nullUUID(id.OrganizationID),
		nullString(id.ExternalID), s.d.time(updatedAt), id.ID, id.Version}
}

// whyNotUpdated tells why identityUpdate matched no row: the identity is gone (not found) or
// is at another version (conflict). x must read what is committed now, not a snapshot taken
// before the update waited for a concurrent writer.
func whyNotUpdated(ctx context.Context, x q, id uuid.UUID) error {
	var one int
	err := x.row(ctx, "SELECT 1 FROM identities i WHERE i.id = ? AND "+liveIdentity, id).Scan(&one)
	if err == sql.ErrNoRows {
		return errIdentityNotFound
	}
	if err != nil {
		return mapErr(err, "update identity")
	}
	return apierr.ErrConflict.WithReason("the identity was changed by someone else, reload it and try again")
}

// identityUpdated moves id on to the version an update stored at now. sameRelations: no
// relation row was read or written, so what the cache holds for the old version is the new
// version's too, and the next session read needs the identity row only.
func (s *Store) identityUpdated(id *identity.Identity, oldVersion int, oldUpdated, now time.Time, sameRelations bool) {
	id.Version++
	id.UpdatedAt = now
	if sameRelations {
		s.rels.carry(id.ID, oldVersion, oldUpdated, id.Version, id.UpdatedAt)
	}
}

// identityDeleteBatch is the most of an identity's sessions one statement of DeleteIdentity
// deletes before the identity itself goes; identityDeleteMin the fewest.
const (
	identityDeleteBatch = 250
	identityDeleteMin   = 10
)

// identityDeleteTarget is how long one batch should hold the writer: a batch that took longer
// halves the next one, one that took under half of it doubles the next (as cleanup paces its
// batches). On a 600 MB SQLite file under whoami and settings-write load a fixed batch of 250
// sessions made the deletion of 10,000 take 17 s, with settings writes at 0.41 of their idle
// rate and their p99 3.2x (bench/results/scale-2026-12-06-b.md).
const identityDeleteTarget = 25 * time.Millisecond

// identityDeleteRest is how many times as long as a batch took DeleteIdentity rests after it on
// SQLite, so that other writers get three quarters of the writer: with a rest as long as the batch,
// settings writes ran at 0.41 of their idle rate during the deletion of 10,000 sessions on a
// 600 MB file; with twice as long, 0.61 (bench/results/scale-2026-12-06-b.md). On a 2.8 GB file
// on a slower machine twice as long left them 0.36, three times 0.53
// (bench/results/scale-2026-12-06-sqlite-rest.md).
const identityDeleteRest = 3

// DeleteIdentity deletes the identity at once and its rows after. First one short transaction
// makes it deleted for every reader (tombstone, with the audit events ctx carries): the admin
// API, sign-in, the listings and every session read (its sessions stop working) no longer find
// it, and its identifiers, addresses, credentials, flows and codes are gone, so its e-mail can
// sign up again. Then its sessions go in batches of at most identityDeleteBatch paced to
// identityDeleteTarget, each its own short write, with a rest three times as long as the batch held
// the writer on SQLite (identityDeleteRest): one cascading delete of an identity with 1,000
// sessions dirtied ~4,400 pages (18 MB of WAL) in one write and held SQLite's single writer
// for 278 ms, so every sign-in and settings write waited. Last the row itself goes. A deletion
// interrupted after the tombstone is finished by PurgeDeletedIdentities (the cleanup); an
// identity already tombstoned is not found.
func (s *Store) DeleteIdentity(ctx context.Context, id uuid.UUID) error {
	if err := s.MarkIdentityDeleted(ctx, id); err != nil {
		return err
	}
	s.purgeOrLeave(ctx, id)
	return nil
}

// deleteSessionBatch deletes up to size of the identity's sessions and returns how many it
// deleted and how long the statement held a writer connection, the wait for it left out
// (execHeld).
func (s *Store) deleteSessionBatch(ctx context.Context, id uuid.UUID, size int) (int64, time.Duration, error) {
	return s.execHeld(ctx, "delete the identity's sessions", s.d.deleteLimited("sessions", "identity_id = ?", "issued_at", size), id)
}

// GetIdentity loads one identity; withCredentials also loads credential configs.
func (s *Store) GetIdentity(ctx context.Context, id uuid.UUID, withCredentials bool) (*identity.Identity, error) {
	return s.getIdentity(ctx, "WHERE i.id = ?", withCredentials, id)
}

// FindByCredentialsIdentifier finds the identity holding the identifier, configs loaded.
func (s *Store) FindByCredentialsIdentifier(ctx context.Context, t identity.CredentialsType, identifier string) (*identity.Identity, error) {
	return s.getIdentity(ctx, `JOIN identity_credential_identifiers ci ON ci.identity_id = i.id
		WHERE ci.credential_type = ? AND ci.identifier = ?`, true, string(t), identifier)
}

func (s *Store) getIdentity(ctx context.Context, where string, withCredentials bool, args ...any) (*identity.Identity, error) {
	r := s.reader()
	id, err := scanIdentity(r.row(ctx, "SELECT "+identityCols+" FROM identities i "+where+" AND "+liveIdentity, args...))
	if err == sql.ErrNoRows {
		return nil, errIdentityNotFound
	}
	if err != nil {
		return nil, mapErr(err, "get identity")
	}
	if withCredentials {
		// As a session read does (getSession): the relations remembered for the row's
		// version, else read in one statement and remembered. A sign-in's lookup by
		// identifier is then one round trip, or two, instead of four.
		if s.rels.fill(id) {
			return id, nil
		}
		same, err := s.loadRelationsOf(ctx, id)
		if err != nil {
			return nil, mapErr(err, "get identity")
		}
		if same {
			s.rels.put(id)
			return id, nil
		}
		// Changed since its row was read: its relations are read as they are now.
	}
	if err := s.loadRelations(ctx, r, []*identity.Identity{id}, withCredentials); err != nil {
		return nil, err
	}
	return id, nil
}

// ListIdentities returns a page ordered by id and the token of the next page.
func (s *Store) ListIdentities(ctx context.Context, f store.IdentityFilter, p store.ListParams) ([]*identity.Identity, string, error) {
	size := pageSize(p.PageSize)
	var (
		where = []string{liveIdentity}
		args  []any
	)
	if p.PageToken != "" {
		after, err := decodeIDToken(p.PageToken)
		if err != nil {
			return nil, "", err
		}
		where, args = append(where, "i.id > ?"), append(args, after)
	}
	if f.CredentialsIdentifier != "" {
		where = append(where, "i.id IN (SELECT ci.identity_id FROM identity_credential_identifiers ci WHERE ci.identifier = ?)")
		args = append(args, f.CredentialsIdentifier)
	}
	if f.CredentialsIdentifierSimilar != "" {
		// A prefix compared character by character (not LIKE: SQLite's ignores ASCII case, the
		// others do not), so that every backend finds the same identities.
		where = append(where, "i.id IN (SELECT ci.identity_id FROM identity_credential_identifiers ci WHERE SUBSTR(ci.identifier, 1, ?) = ?)")
		args = append(args, utf8.RuneCountInString(f.CredentialsIdentifierSimilar), f.CredentialsIdentifierSimilar)
	}
	if len(f.IDs) > 0 {
		where = append(where, "i.id IN ("+placeholders(len(f.IDs))+")")
		for _, id := range f.IDs {
			args = append(args, id)
		}
	}
	query := "SELECT " + identityCols + " FROM identities i WHERE " + strings.Join(where, " AND ")
	query += " ORDER BY i.id LIMIT " + strconv.Itoa(size+1)
	r := s.reader()
	out, err := queryAll(ctx, r, "list identities", query, args, scanIdentity)
	if err != nil {
		return nil, "", err
	}
	next := ""
	if len(out) > size {
		out = out[:size]
		next = base64.RawURLEncoding.EncodeToString([]byte(out[size-1].ID.String()))
	}
	if err := s.loadRelations(ctx, r, out, false); err != nil {
		return nil, "", err
	}
	if out == nil {
		out = []*identity.Identity{}
	}
	return out, next, nil
}

func pageSize(n int) int {
	switch {
	case n <= 0:
		return defaultPageSize
	case n > maxPageSize:
		return maxPageSize
	}
	return n
}

var errBadPageToken = apierr.ErrBadRequest.WithReason("the page token is invalid")

func decodeIDToken(tok string) (uuid.UUID, error) {
	b, err := base64.RawURLEncoding.DecodeString(tok)
	if err != nil {
		return uuid.Nil, errBadPageToken
	}
	id, err := uuid.Parse(string(b))
	if err != nil {
		return uuid.Nil, errBadPageToken
	}
	return id, nil
}
