package main

import (
	"context"
	"crypto/md5"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/portico-auth/portico/internal/store/sqlstore"
)

// The PostgreSQL builder writes the same shape of data as build, but set-based: each chunk of
// identities is five INSERT … SELECT FROM generate_series statements and one for their
// sessions, with the ids (md5 of a name, as uuid), token hashes (sha256() of the token) and
// times derived in SQL from the row numbers. While it loads, foreign-key triggers are off on
// its connection (the rows are consistent by construction) and the indexes and unique
// constraints of the tables it fills (except primary keys other tables' foreign keys point at)
// are dropped; they are created again from their saved definitions afterwards, then the
// tables are vacuumed and analyzed. Row-by-row inserts took 4.5 min for 100,000 identities.

// pgID is the id the PostgreSQL builder gives the row named name: md5(name)::uuid in SQL.
func pgID(name string) uuid.UUID { return uuid.UUID(md5.Sum([]byte(name))) }

// pgChunk is how many identities one statement writes (ten times that in sessions at -sessions 10).
const pgChunk = 100000

// pgTables are the tables the builder fills, parents first.
var pgTables = []string{"identities", "identity_credentials", "identity_credential_identifiers",
	"identity_verifiable_addresses", "identity_recovery_addresses", "flows", "sessions"}

const deviceAgent = "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0"

// pgIdentitySQL are the statements for identities lo ≤ k < hi, each with how many of the
// arguments $1 lo, $2 hi, $3 now, $4 the password credential's config it takes. created_at is
// up to a year before now.
var pgIdentitySQL = []struct {
	query string
	nargs int
}{
	{`INSERT INTO identities (id, schema_id, state, traits, metadata_public, version, created_at, updated_at)
	SELECT md5('identity-' || k)::uuid, 'default', 'active',
		'{"email":"user' || k || '@scale.example","name":{"first":"Ada","last":"Lovelace"}}', '{}', 1, c, c
	FROM generate_series($1::int, $2::int - 1) k, LATERAL (SELECT $3::timestamptz - make_interval(hours => ((k::bigint * 7919) % 8760)::int) AS c) t`, 3},
	{`INSERT INTO identity_credentials (id, identity_id, type, config, version, created_at, updated_at)
	SELECT md5('credential-' || k)::uuid, md5('identity-' || k)::uuid, 'password', $4::text, 0, c, c
	FROM generate_series($1::int, $2::int - 1) k, LATERAL (SELECT $3::timestamptz - make_interval(hours => ((k::bigint * 7919) % 8760)::int) AS c) t`, 4},
	{`INSERT INTO identity_credential_identifiers (credential_type, identifier, identity_id, credential_id, position)
	SELECT 'password', 'user' || k || '@scale.example', md5('identity-' || k)::uuid, md5('credential-' || k)::uuid, 0
	FROM generate_series($1::int, $2::int - 1) k`, 2},
	{`INSERT INTO identity_verifiable_addresses (id, identity_id, via, value, verified, status, created_at, updated_at)
	SELECT md5('verifiable-' || k)::uuid, md5('identity-' || k)::uuid, 'email', 'user' || k || '@scale.example', false, 'pending', c, c
	FROM generate_series($1::int, $2::int - 1) k, LATERAL (SELECT $3::timestamptz - make_interval(hours => ((k::bigint * 7919) % 8760)::int) AS c) t`, 3},
	{`INSERT INTO identity_recovery_addresses (id, identity_id, via, value, created_at, updated_at)
	SELECT md5('recovery-' || k)::uuid, md5('identity-' || k)::uuid, 'email', 'user' || k || '@scale.example', c, c
	FROM generate_series($1::int, $2::int - 1) k, LATERAL (SELECT $3::timestamptz - make_interval(hours => ((k::bigint * 7919) % 8760)::int) AS c) t`, 3},
	// Every other identity has a settings flow ("flow-k"), a third of them expired an hour ago; its
	// document is bytes (bytea since migration 0024), the text as the store writes a small one.
	{`INSERT INTO flows (id, kind, identity_id, expires_at, data, created_at, updated_at)
	SELECT md5('flow-' || k)::uuid, 'settings', md5('identity-' || k)::uuid,
		$3::timestamptz + CASE WHEN k % 6 = 4 THEN interval '-1 hour' ELSE interval '1 hour' END,
		convert_to('{"type":"browser","state":"show_form","ui":{"method":"POST","nodes":[]}}', 'UTF8'), $3::timestamptz - interval '10 minutes', $3::timestamptz - interval '10 minutes'
	FROM generate_series($1::int, $2::int - 1) k WHERE k % 2 = 0`, 3},
}

// pgSessionSQL writes sessions 0 ≤ j < $3 of identities $1 ≤ k < $2: issued up to 30 days
// before $4, token "scale-token-k-j" (its SHA-256 stored, as Portico stores it), and when $5
// every third one (j % 3 = 2) expired two days before $4.
const pgSessionSQL = `INSERT INTO sessions (id, token_hash, version, identity_id, active, aal, authenticated_at, issued_at, expires_at,
		authentication_methods, devices, created_at, updated_at)
	SELECT md5('session-' || k || '-' || j)::uuid, sha256(convert_to('scale-token-' || k || '-' || j, 'UTF8')), 1,
		md5('identity-' || k)::uuid, true, 'aal1', issued, issued,
		CASE WHEN $5::bool AND j % 3 = 2 THEN $4::timestamptz - interval '48 hours'
			ELSE $4::timestamptz + make_interval(hours => 1 + (k + j) % 23) END,
		'[{"method":"password","aal":"aal1","completed_at":"' || to_char(issued AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') || '"}]',
		'[{"id":"' || md5('device-' || k || '-' || j)::uuid || '","ip_address":"192.0.2.' || ((k * 31 + j) % 250) ||
			'","user_agent":"` + deviceAgent + `","location":""}]',
		issued, issued
	FROM generate_series($1::int, $2::int - 1) k, generate_series(0, $3::int - 1) j,
		LATERAL (SELECT $4::timestamptz - make_interval(secs => ((k::bigint * 7919 + j * 104729) % 2592000)::int) AS issued) t`

// buildPostgres fills an empty, migrated PostgreSQL store like build does.
func buildPostgres(ctx context.Context, st *sqlstore.Store, n, perIdentity, big int, cred string, progress func(string)) (*dataset, error) {
	conn, err := st.DB().Conn(ctx)
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	for _, set := range []string{"session_replication_role = replica", "synchronous_commit = off", "maintenance_work_mem = '256MB'"} {
		if _, err := conn.ExecContext(ctx, "SET "+set); err != nil {
			return nil, fmt.Errorf("set %s: %w", set, err)
		}
	}
	defer func() { _, _ = conn.ExecContext(context.Background(), "RESET ALL") }()
	restore, err := dropIndexes(ctx, conn)
	if err != nil {
		return nil, err
	}
	now := time.Now().UTC().Truncate(time.Microsecond)
	for lo := 0; lo < n+bigIdentities; lo += pgChunk {
		hi := min(lo+pgChunk, n+bigIdentities)
		args := []any{lo, hi, now, cred}
		for _, q := range pgIdentitySQL {
			if _, err := conn.ExecContext(ctx, q.query, args[:q.nargs]...); err != nil {
				return nil, fmt.Errorf("identities %d-%d: %w", lo, hi, err)
			}
		}
		if sl := min(hi, n); sl > lo && perIdentity > 0 {
			if _, err := conn.ExecContext(ctx, pgSessionSQL, lo, sl, perIdentity, now, true); err != nil {
				return nil, fmt.Errorf("sessions of %d-%d: %w", lo, sl, err)
			}
		}
		if progress != nil {
			progress(fmt.Sprintf("%d identities", hi))
		}
	}
	if _, err := conn.ExecContext(ctx, pgSessionSQL, n, n+bigIdentities, big, now, false); err != nil {
		return nil, fmt.Errorf("the big identities' sessions: %w", err)
	}
	for _, q := range restore {
		start := time.Now()
		if _, err := conn.ExecContext(ctx, q); err != nil {
			return nil, fmt.Errorf("%s: %w", q, err)
		}
		if progress != nil {
			progress(fmt.Sprintf("%s (%s)", q, time.Since(start).Round(time.Second)))
		}
	}
	if _, err := conn.ExecContext(ctx, "VACUUM (ANALYZE) "+strings.Join(pgTables, ", ")); err != nil {
		return nil, fmt.Errorf("vacuum: %w", err)
	}
	ds := pgDataset(n)
	ds.expired = n * (perIdentity / 3)
	return ds, nil
}

// pgDataset is what buildPostgres built with n identities.
func pgDataset(n int) *dataset {
	return derived(n, func(k int) uuid.UUID { return pgID(fmt.Sprintf("identity-%d", k)) })
}

// dropIndexes drops the indexes and unique constraints of pgTables that no foreign key
// depends on and returns the statements that create them again.
func dropIndexes(ctx context.Context, conn *sql.Conn) ([]string, error) {
	rows, err := conn.QueryContext(ctx, `
		SELECT c.relname, i.relname, pg_get_indexdef(x.indexrelid), con.conname, pg_get_constraintdef(con.oid)
		FROM pg_index x
		JOIN pg_class i ON i.oid = x.indexrelid
		JOIN pg_class c ON c.oid = x.indrelid
		LEFT JOIN pg_constraint con ON con.conindid = x.indexrelid AND con.contype IN ('p', 'u')
		WHERE c.relnamespace = current_schema()::regnamespace AND c.relname = ANY($1)
			AND NOT EXISTS (SELECT 1 FROM pg_constraint f WHERE f.contype = 'f' AND f.conindid = x.indexrelid)`,
		pgTables)
	if err != nil {
		return nil, err
	}
	var drop, create []string
	for rows.Next() {
		var table, index, indexDef string
		var con, conDef sql.NullString
		if err := rows.Scan(&table, &index, &indexDef, &con, &conDef); err != nil {
			rows.Close()
			return nil, err
		}
		if con.Valid {
			drop = append(drop, fmt.Sprintf("ALTER TABLE %s DROP CONSTRAINT %s", table, con.String))
			create = append(create, fmt.Sprintf("ALTER TABLE %s ADD CONSTRAINT %s %s", table, con.String, conDef.String))
		} else {
			drop = append(drop, "DROP INDEX "+index)
			create = append(create, indexDef)
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	for _, q := range drop {
		if _, err := conn.ExecContext(ctx, q); err != nil {
			return nil, fmt.Errorf("%s: %w", q, err)
		}
	}
	return create, nil
}
