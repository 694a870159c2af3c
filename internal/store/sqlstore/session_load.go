package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"strings"

	"github.com/google/uuid"

	"github.com/portico-auth/portico/internal/identity"
	"github.com/portico-auth/portico/internal/session"
)

// sessionLoadQuery reads a session, its identity, the identity's credentials (with configs
// and identifiers) and both kinds of addresses in one round trip: a UNION ALL of four
// branches told apart by k (0 session, 1 credential, 2 verifiable address, 3 recovery
// address). where selects the session from alias s with one "?" argument. Rows come session
// first, then in the order loadRelations reads them (credentials by type and identifier
// position, addresses by value and creation time).
//
// The relation columns are shared by the branches:
//
//	r_id        credential / address id
//	r_type      credential type / address via
//	r_text      credential config / address value
//	r_aux       identifier / verifiable address status
//	r_version   credential version
//	r_verified, r_verified_at   verifiable address only
//	r_created, r_updated
//	o1, o2      sort keys: type, identifier position / value, NULL
//
// The query text depends only on the dialect: PostgreSQL resolves UNION column types pairwise,
// so a column that is NULL in both the session and the credential branch needs a typed NULL.
func sessionLoadQuery(d dialect, where string) string {
	nullBool, nullTime := "NULL", "NULL"
	if d.name == "postgres" {
		nullBool, nullTime = "CAST(NULL AS BOOLEAN)", "CAST(NULL AS TIMESTAMPTZ)"
	}
	// One NULL for each session and identity column of the first branch.
	nulls := strings.TrimSuffix(strings.Repeat("NULL, ", sessionLoadCols-1), ", ")
	var b strings.Builder
	b.WriteString("WITH ss AS (SELECT s.id AS sid, s.identity_id AS iid FROM sessions s JOIN identities i ON i.id = s.identity_id AND " + liveIdentity + " WHERE ")
	b.WriteString(where)
	b.WriteString(")\nSELECT 0 AS k, ")
	b.WriteString(sessionCols)
	b.WriteString(", ")
	b.WriteString(identityCols)
	b.WriteString(`,
	NULL AS r_id, NULL AS r_type, NULL AS r_text, NULL AS r_aux, NULL AS r_version, NULL AS r_verified,
	NULL AS r_verified_at, NULL AS r_created, NULL AS r_updated, NULL AS o1, NULL AS o2
	FROM ss JOIN sessions s ON s.id = ss.sid JOIN identities i ON i.id = s.identity_id
UNION ALL
SELECT 1, ` + nulls + `,
	c.id, c.type, c.config, ci.identifier, c.version, ` + nullBool + `, ` + nullTime + `, c.created_at, c.updated_at,
	c.type, ci.position
	FROM ss JOIN identity_credentials c ON c.identity_id = ss.iid
	LEFT JOIN identity_credential_identifiers ci ON ci.credential_id = c.id
UNION ALL
SELECT 2, ` + nulls + `,
	a.id, a.via, a.value, a.status, NULL, a.verified, a.verified_at, a.created_at, a.updated_at, a.value, NULL
	FROM ss JOIN identity_verifiable_addresses a ON a.identity_id = ss.iid
UNION ALL
SELECT 3, ` + nulls + `,
	r.id, r.via, r.value, NULL, NULL, NULL, NULL, r.created_at, r.updated_at, r.value, NULL
	FROM ss JOIN identity_recovery_addresses r ON r.identity_id = ss.iid
ORDER BY k, o1, o2, r_created`)
	return b.String()
}

// relationsQuery reads one identity's credentials (with configs and identifiers) and both
// kinds of addresses in one statement, with the same relation columns and order as
// sessionLoadQuery, after a first row (k 0) holding the identity row's version (r_version)
// and updated_at (r_updated) as this statement saw them: the relations belong to that
// version, whatever a writer did since the session row was read. Each of the four branches
// is one index lookup on identity_id.
// It is what a session read runs when the identity's relations are not remembered: the
// session and identity rows are read already, so only the relations are loaded. The identity
// id is one argument, selected in a CTE the branches join, as in sessionLoadQuery: with a
// parameter per branch PostgreSQL planned a Parallel Append.
func relationsQuery(d dialect) string {
	nullBool, nullTime := "NULL", "NULL"
	if d.name == "postgres" {
		nullBool, nullTime = "CAST(NULL AS BOOLEAN)", "CAST(NULL AS TIMESTAMPTZ)"
	}
	return `WITH ii AS (SELECT i.id AS iid FROM identities i WHERE i.id = ? AND ` + liveIdentity + `)
SELECT 0 AS k, i.id AS r_id, NULL AS r_type, NULL AS r_text, NULL AS r_aux, i.version AS r_version,
	` + nullBool + ` AS r_verified, ` + nullTime + ` AS r_verified_at, i.updated_at AS r_created, i.updated_at AS r_updated,
	NULL AS o1, NULL AS o2
	FROM ii JOIN identities i ON i.id = ii.iid
UNION ALL
SELECT 1, c.id, c.type, c.config, ci.identifier, c.version, ` + nullBool + `, ` + nullTime + `, c.created_at, c.updated_at,
	c.type, ci.position
	FROM ii JOIN identity_credentials c ON c.identity_id = ii.iid
	LEFT JOIN identity_credential_identifiers ci ON ci.credential_id = c.id
UNION ALL
SELECT 2, a.id, a.via, a.value, a.status, NULL, a.verified, a.verified_at, a.created_at, a.updated_at, a.value, NULL
	FROM ii JOIN identity_verifiable_addresses a ON a.identity_id = ii.iid
UNION ALL
SELECT 3, r.id, r.via, r.value, NULL, NULL, NULL, NULL, r.created_at, r.updated_at, r.value, NULL
	FROM ii JOIN identity_recovery_addresses r ON r.identity_id = ii.iid
ORDER BY k, o1, o2, r_created`
}

// sessionRowQuery reads the session (where, one "?" argument, alias s) and its identity row,
// in scanSession's order.
func sessionRowQuery(where string) string {
	return "SELECT " + sessionCols + ", " + identityCols + " FROM sessions s JOIN identities i ON i.id = s.identity_id AND " + liveIdentity + " WHERE " + where
}

// sessionRowFlowQuery is sessionRowQuery with one flow's columns after the session's and the
// identity's (GetFlow's, NULL when there is no such flow): the flow's id and kind are the first
// two "?" arguments, where's the third.
func sessionRowFlowQuery(where string) string {
	return "SELECT " + sessionCols + ", " + identityCols +
		", f.id, f.kind, f.identity_id, f.expires_at, f.data, f.private FROM sessions s JOIN identities i ON i.id = s.identity_id AND " +
		liveIdentity + " LEFT JOIN flows f ON f.id = ? AND f.kind = ? WHERE " + where
}

// sessionLoadCols is the number of columns before the relation columns: k, the session's
// and the identity's.
const sessionLoadCols = 1 + 11 + 12

// relationDest receives the relation columns of sessionLoadQuery.
type relationDest struct {
	id                       uuid.UUID
	typ, text                string
	aux                      sql.NullString
	version                  sql.NullInt64
	verified                 sql.NullBool
	verifiedAt, created, upd timeCol
	o1, o2                   any
}

func (d *relationDest) targets() []any {
	return []any{&d.id, &d.typ, &d.text, &d.aux, &d.version, &d.verified, &d.verifiedAt, &d.created, &d.upd, &d.o1, &d.o2}
}

// loadSession runs sessionLoadQuery; a missing session is sql.ErrNoRows.
func (s *Store) loadSession(ctx context.Context, query string, arg any) (*session.Session, error) {
	rows, err := s.reader().query(ctx, query, arg)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	if !rows.Next() {
		if err := rows.Err(); err != nil {
			return nil, err
		}
		return nil, sql.ErrNoRows
	}
	var (
		k    int
		rel  relationDest
		skip any
	)
	// The session row: the relation columns are NULL.
	dest := make([]any, 0, sessionLoadCols+11)
	dest = append(dest, &k)
	first := rowScanner{rows: rows, dest: dest, tail: make([]any, 11)}
	for i := range first.tail {
		first.tail[i] = &skip
	}
	ss, err := scanSession(&first)
	if err != nil {
		return nil, err
	}
	id := ss.Identity
	// The relation rows: the session columns are NULL.
	dest = dest[:0]
	dest = append(dest, &k)
	for i := 1; i < sessionLoadCols; i++ {
		dest = append(dest, &skip)
	}
	dest = append(dest, rel.targets()...)
	if err := addRelationRows(rows, dest, &k, &rel, id); err != nil {
		return nil, err
	}
	return ss, nil
}

// loadRelationsOf fills id's credentials and addresses with relationsQuery when the identity
// row still has id's version and updated_at; otherwise (changed or deleted since id was read)
// it reports false and leaves id's relations empty. On an error id is not to be used.
func (s *Store) loadRelationsOf(ctx context.Context, id *identity.Identity) (bool, error) {
	rows, err := s.reader().query(ctx, s.qRelations, id.ID)
	if err != nil {
		return false, err
	}
	defer rows.Close()
	var (
		k   int
		rel relationDest
	)
	if !rows.Next() {
		return false, rows.Err()
	}
	// The identity row: only k, r_version and r_updated are set.
	var (
		version sql.NullInt64
		updated timeCol
		skip    any
	)
	first := []any{&k, &skip, &skip, &skip, &skip, &version, &skip, &skip, &skip, &updated, &skip, &skip}
	if err := rows.Scan(first...); err != nil {
		return false, err
	}
	if k != 0 || int(version.Int64) != id.Version || !updated.T.Equal(id.UpdatedAt) {
		return false, nil
	}
	dest := append([]any{&k}, rel.targets()...)
	if err := addRelationRows(rows, dest, &k, &rel, id); err != nil {
		return false, err
	}
	return true, nil
}

// addRelationRows adds the remaining relation rows of rows (scanned into dest, whose k and
// relation columns are k and rel) to id.
func addRelationRows(rows *sql.Rows, dest []any, k *int, rel *relationDest, id *identity.Identity) error {
	for rows.Next() {
		if err := rows.Scan(dest...); err != nil {
			return err
		}
		switch *k {
		case 1:
			addCredentialRow(id, rel.id, rel.typ, sql.NullString{String: rel.text, Valid: true},
				int(rel.version.Int64), rel.created, rel.upd, rel.aux)
		case 2:
			id.VerifiableAddresses = append(id.VerifiableAddresses, identity.VerifiableAddress{
				ID: rel.id, Value: rel.text, Verified: rel.verified.Bool, Via: rel.typ, Status: rel.aux.String,
				VerifiedAt: rel.verifiedAt.ptr(), CreatedAt: rel.created.T, UpdatedAt: rel.upd.T,
			})
		case 3:
			id.RecoveryAddresses = append(id.RecoveryAddresses, identity.RecoveryAddress{
				ID: rel.id, Value: rel.text, Via: rel.typ, CreatedAt: rel.created.T, UpdatedAt: rel.upd.T,
			})
		}
	}
	return rows.Err()
}

// rowScanner lets scanSession read the first row of sessionLoadQuery: it puts dest before
// and tail after the targets scanSession passes.
type rowScanner struct {
	rows       *sql.Rows
	dest, tail []any
}

func (r *rowScanner) Scan(targets ...any) error {
	all := append(append(r.dest, targets...), r.tail...)
	return r.rows.Scan(all...)
}

// addCredentialRow adds one row of a credential joined with one of its identifiers (or none)
// to the identity: the first row of a type makes the credential, every row adds its
// identifier.
func addCredentialRow(id *identity.Identity, credID uuid.UUID, typ string, cfg sql.NullString, version int,
	created, updated timeCol, identifier sql.NullString) {
	t := identity.CredentialsType(typ)
	cur, ok := id.Credentials[t]
	if !ok {
		cur = identity.Credentials{ID: credID, Type: t, Version: version, CreatedAt: created.T, UpdatedAt: updated.T,
			Identifiers: []string{}}
		if cfg.Valid {
			cur.Config = json.RawMessage(cfg.String)
		}
	}
	if identifier.Valid {
		cur.Identifiers = append(cur.Identifiers, identifier.String)
	}
	id.Credentials[t] = cur
}
