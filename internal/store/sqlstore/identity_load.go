package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"

	"github.com/google/uuid"

	"github.com/portico-auth/portico/internal/identity"
)

// identityCols are the identity columns, in scanIdentity's order, from alias i.
const identityCols = `i.id, i.schema_id, i.state, i.state_changed_at, i.traits, i.metadata_public,
	i.metadata_admin, i.organization_id, i.version, i.created_at, i.updated_at, i.external_id`

type scanner interface{ Scan(dest ...any) error }

// identityDest receives identityCols.
type identityDest struct {
	id                    identity.Identity
	state, traits         string
	stateChanged          timeCol
	metaPublic, metaAdmin sql.NullString
	org                   uuid.NullUUID
	created, updated      timeCol
	externalID            sql.NullString
}

func (d *identityDest) targets() []any {
	return []any{&d.id.ID, &d.id.SchemaID, &d.state, &d.stateChanged, &d.traits, &d.metaPublic,
		&d.metaAdmin, &d.org, &d.id.Version, &d.created, &d.updated, &d.externalID}
}

func (d *identityDest) identity() *identity.Identity {
	id := d.id
	id.State = identity.State(d.state)
	id.StateChangedAt = d.stateChanged.ptr()
	id.Traits = json.RawMessage(d.traits)
	if d.metaPublic.Valid {
		id.MetadataPublic = json.RawMessage(d.metaPublic.String)
	}
	if d.metaAdmin.Valid {
		id.MetadataAdmin = json.RawMessage(d.metaAdmin.String)
	}
	if d.org.Valid {
		o := d.org.UUID
		id.OrganizationID = &o
	}
	id.CreatedAt, id.UpdatedAt = d.created.T, d.updated.T
	id.ExternalID = d.externalID.String
	id.Credentials = map[identity.CredentialsType]identity.Credentials{}
	id.VerifiableAddresses = []identity.VerifiableAddress{}
	id.RecoveryAddresses = []identity.RecoveryAddress{}
	return &id
}

// scanIdentity scans identityCols.
func scanIdentity(sc scanner) (*identity.Identity, error) {
	var d identityDest
	if err := sc.Scan(d.targets()...); err != nil {
		return nil, err
	}
	return d.identity(), nil
}

// loadRelations fills credentials (with identifiers; configs only when withConfig) and
// addresses of the given identities in three queries, whatever their number.
func (s *Store) loadRelations(ctx context.Context, x q, ids []*identity.Identity, withConfig bool) error {
	if len(ids) == 0 {
		return nil
	}
	in, args, byID := relationArgs(ids)
	if err := loadCredentials(ctx, x, in, args, byID, withConfig); err != nil {
		return err
	}
	return loadAllAddresses(ctx, x, in, args, byID)
}

// loadAddressesOf fills the addresses of the given identities, not their credentials, in two
// queries: what a list of sessions shows of each session's identity.
func (s *Store) loadAddressesOf(ctx context.Context, x q, ids []*identity.Identity) error {
	if len(ids) == 0 {
		return nil
	}
	in, args, byID := relationArgs(ids)
	return loadAllAddresses(ctx, x, in, args, byID)
}

// relationArgs are the "(?, …)" list of the distinct ids, its arguments and the identities by id.
func relationArgs(ids []*identity.Identity) (string, []any, map[uuid.UUID]*identity.Identity) {
	byID := make(map[uuid.UUID]*identity.Identity, len(ids))
	args := make([]any, 0, len(ids))
	for _, id := range ids {
		if _, dup := byID[id.ID]; !dup {
			args = append(args, id.ID)
		}
		byID[id.ID] = id
	}
	return "(" + placeholders(len(args)) + ")", args, byID
}

// loadCredentials fills the credentials (with identifiers; configs only when withConfig) of
// the identities in byID.
func loadCredentials(ctx context.Context, x q, in string, args []any, byID map[uuid.UUID]*identity.Identity, withConfig bool) error {
	config := "NULL"
	if withConfig {
		config = "c.config"
	}

	rows, err := x.query(ctx, `SELECT c.identity_id, c.id, c.type, `+config+`, c.version, c.created_at, c.updated_at, ci.identifier
		FROM identity_credentials c
		LEFT JOIN identity_credential_identifiers ci ON ci.credential_id = c.id
		WHERE c.identity_id IN `+in+`
		ORDER BY c.identity_id, c.type, ci.position`, args...)
	if err != nil {
		return mapErr(err, "load credentials")
	}
	for rows.Next() {
		var (
			identityID       uuid.UUID
			c                identity.Credentials
			typ              string
			cfg, identifier  sql.NullString
			created, updated timeCol
		)
		if err := rows.Scan(&identityID, &c.ID, &typ, &cfg, &c.Version, &created, &updated, &identifier); err != nil {
			rows.Close()
			return mapErr(err, "load credentials")
		}
		addCredentialRow(byID[identityID], c.ID, typ, cfg, c.Version, created, updated, identifier)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return mapErr(err, "load credentials")
	}
	return nil
}

// loadAllAddresses fills both kinds of addresses of the identities in byID.
func loadAllAddresses(ctx context.Context, x q, in string, args []any, byID map[uuid.UUID]*identity.Identity) error {
	// One statement per address kind: a UNION ALL of the two became a Parallel Append on
	// PostgreSQL once the address tables passed ~200,000 rows (1 ms of work, ~44 ms of
	// starting workers per page of identities), which the tables' parallel_workers = 0
	// (migration 0011) cannot prevent; each statement alone is an index scan.
	for _, kind := range []string{"v", "r"} {
		if err := loadAddresses(ctx, x, kind, in, args, byID); err != nil {
			return err
		}
	}
	return nil
}

// addressQueries read one kind of address ("v" verifiable, "r" recovery) of a set of
// identities, in the same columns.
var addressQueries = map[string]string{
	"v": `SELECT a.identity_id, a.id, a.via, a.value, a.verified, a.status, a.verified_at, a.created_at, a.updated_at
		FROM identity_verifiable_addresses a WHERE a.identity_id IN `,
	"r": `SELECT r.identity_id, r.id, r.via, r.value, NULL, NULL, NULL, r.created_at, r.updated_at
		FROM identity_recovery_addresses r WHERE r.identity_id IN `,
}

// loadAddresses appends the addresses of one kind to the identities in byID, ordered by
// identity, value and creation (in is the "(?, …)" list of args).
func loadAddresses(ctx context.Context, x q, kind, in string, args []any, byID map[uuid.UUID]*identity.Identity) error {
	rows, err := x.query(ctx, addressQueries[kind]+in+" ORDER BY 1, 4, 8", args...)
	if err != nil {
		return mapErr(err, "load addresses")
	}
	defer rows.Close()
	for rows.Next() {
		var (
			identityID, addrID       uuid.UUID
			via, value               string
			verified                 sql.NullBool
			status                   sql.NullString
			verifiedAt, created, upd timeCol
		)
		if err := rows.Scan(&identityID, &addrID, &via, &value, &verified, &status, &verifiedAt, &created, &upd); err != nil {
			return mapErr(err, "load addresses")
		}
		id := byID[identityID]
		if kind == "v" {
			id.VerifiableAddresses = append(id.VerifiableAddresses, identity.VerifiableAddress{
				ID: addrID, Value: value, Verified: verified.Bool, Via: via, Status: status.String,
				VerifiedAt: verifiedAt.ptr(), CreatedAt: created.T, UpdatedAt: upd.T,
			})
		} else {
			id.RecoveryAddresses = append(id.RecoveryAddresses, identity.RecoveryAddress{
				ID: addrID, Value: value, Via: via, CreatedAt: created.T, UpdatedAt: upd.T,
			})
		}
	}
	if err := rows.Err(); err != nil {
		return mapErr(err, "load addresses")
	}
	return nil
}
