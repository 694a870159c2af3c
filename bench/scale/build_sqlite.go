package main

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"database/sql/driver"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"
	"modernc.org/sqlite"

	"github.com/portico-auth/portico/internal/store/sqlstore"
)

// The SQLite builder writes the same data as the PostgreSQL one (build_pg.go), set-based: each
// chunk of identities is a handful of INSERT … SELECT statements over a recursive CTE of row
// numbers, with ids, token hashes and times derived in SQL. SQLite has no sha256() or uuid
// function, so the builder opens its own connection to the file through a driver of its own
// (sqliteBuildDriver) that carries two Go functions, scale_uuid and scale_sha256: Portico's
// connections never see them. While it loads, foreign keys are off on that connection (the rows
// are consistent by construction), its page cache is large (the primary keys and the token
// index take scattered keys), and the secondary indexes of the tables it fills are dropped, then
// created again from their saved definitions (a sort each, not 10 million scattered inserts).
// The row-by-row multi-row INSERT builder it replaces took 2 min 18 s for 100,000 identities and
// 530,000 sessions.

// sqliteChunk is how many identities one statement writes (ten times that in sessions at
// -sessions 10); all of them go in one transaction.
const sqliteChunk = 50000

// sqliteBuildCacheKiB is the builder connection's page cache: enough for the scattered-key
// indexes of 10 million sessions (their primary key and token hash) to stay in memory while
// they are filled.
const sqliteBuildCacheKiB = 3 << 20

// sqliteTables are the tables the builder fills, parents first.
var sqliteTables = []string{"identities", "identity_credentials", "identity_credential_identifiers",
	"identity_verifiable_addresses", "identity_recovery_addresses", "flows", "sessions"}

var registerBuildDriver sync.Once

// sqliteBuildDriver is the name of the driver the builder's own connection uses: modernc's, with
// scale_uuid(ns, name) (0: uuid.NewSHA1 in the OID namespace, 1: in the URL namespace, as
// text, as sqlstore stores ids) and scale_sha256(text) (a blob, as sessions.token_hash holds).
const sqliteBuildDriver = "sqlite-scale-build"

func buildDriver() {
	registerBuildDriver.Do(func() {
		d := &sqlite.Driver{}
		d.MustRegisterDeterministicScalarFunction("scale_uuid", 2, func(_ *sqlite.FunctionContext, args []driver.Value) (driver.Value, error) {
			ns, _ := args[0].(int64)
			name, ok := args[1].(string)
			if !ok {
				return nil, fmt.Errorf("scale_uuid: name %T is not text", args[1])
			}
			space := uuid.NameSpaceOID
			if ns == 1 {
				space = uuid.NameSpaceURL
			}
			return uuid.NewSHA1(space, []byte(name)).String(), nil
		})
		d.MustRegisterDeterministicScalarFunction("scale_sha256", 1, func(_ *sqlite.FunctionContext, args []driver.Value) (driver.Value, error) {
			s, ok := args[0].(string)
			if !ok {
				return nil, fmt.Errorf("scale_sha256: %T is not text", args[0])
			}
			h := sha256.Sum256([]byte(s))
			return h[:], nil
		})
		sql.Register(sqliteBuildDriver, d)
	})
}

// sqliteTS is SQLite's expression for sqlstore's time layout ("2006-01-02 15:04:05.000000",
// UTC) of the Unix time in seconds x.
func sqliteTS(x string) string {
	return "(strftime('%Y-%m-%d %H:%M:%S', " + x + ", 'unixepoch') || '.000000')"
}

// sqliteRows is the CTE of identity numbers ?1 ≤ k < ?2.
const sqliteRows = `WITH RECURSIVE n(k) AS (SELECT ?1 UNION ALL SELECT k + 1 FROM n WHERE k + 1 < ?2)`

// sqliteCreated is identity k's creation time: up to a year before ?3 (now, Unix seconds).
var sqliteCreated = sqliteTS("?3 - (k * 7919) % 8760 * 3600")

// sqliteIdentitySQL are the statements for identities ?1 ≤ k < ?2 (?3 now, ?4 the password
// credential's config), the same rows and ids as the row-by-row builder wrote.
var sqliteIdentitySQL = []string{
	sqliteRows + `, c AS (SELECT k, ` + sqliteCreated + ` AS c FROM n)
	INSERT INTO identities (id, schema_id, state, traits, metadata_public, version, created_at, updated_at)
	SELECT scale_uuid(0, 'identity-' || k), 'default', 'active',
		'{"email":"user' || k || '@scale.example","name":{"first":"Ada","last":"Lovelace"}}', '{}', 1, c, c FROM c`,
	sqliteRows + `, c AS (SELECT k, ` + sqliteCreated + ` AS c FROM n)
	INSERT INTO identity_credentials (id, identity_id, type, config, version, created_at, updated_at)
	SELECT scale_uuid(0, 'credential-' || k), scale_uuid(0, 'identity-' || k), 'password', ?4, 0, c, c FROM c`,
	sqliteRows + `
	INSERT INTO identity_credential_identifiers (credential_type, identifier, identity_id, credential_id, position)
	SELECT 'password', 'user' || k || '@scale.example', scale_uuid(0, 'identity-' || k), scale_uuid(0, 'credential-' || k), 0 FROM n`,
	sqliteRows + `, c AS (SELECT k, ` + sqliteCreated + ` AS c FROM n)
	INSERT INTO identity_verifiable_addresses (id, identity_id, via, value, verified, status, created_at, updated_at)
	SELECT scale_uuid(0, 'verifiable-' || k), scale_uuid(0, 'identity-' || k), 'email', 'user' || k || '@scale.example', 0, 'pending', c, c FROM c`,
	sqliteRows + `, c AS (SELECT k, ` + sqliteCreated + ` AS c FROM n)
	INSERT INTO identity_recovery_addresses (id, identity_id, via, value, created_at, updated_at)
	SELECT scale_uuid(0, 'recovery-' || k), scale_uuid(0, 'identity-' || k), 'email', 'user' || k || '@scale.example', c, c FROM c`,
	// Every other identity has a settings flow, a third of them expired an hour ago (as on
	// PostgreSQL).
	sqliteRows + `
	INSERT INTO flows (id, kind, identity_id, expires_at, data, created_at, updated_at)
	SELECT scale_uuid(0, 'flow-' || k), 'settings', scale_uuid(0, 'identity-' || k),
		` + sqliteTS("?3 + CASE WHEN k % 6 = 4 THEN -3600 ELSE 3600 END") + `,
		'{"type":"browser","state":"show_form","ui":{"method":"POST","nodes":[]}}', ` + sqliteTS("?3 - 600") + `, ` + sqliteTS("?3 - 600") + `
	FROM n WHERE k % 2 = 0`,
}

// sqliteSessionSQL writes sessions 0 ≤ j < ?3 of identities ?1 ≤ k < ?2: issued up to 30 days
// before ?4 (now, Unix seconds), token "scale-token-k-j" (its SHA-256 stored, as Portico
// stores it), and when ?5 every third one (j % 3 = 2) expired two days before ?4.
var sqliteSessionSQL = sqliteRows + `, j(j) AS (SELECT 0 UNION ALL SELECT j + 1 FROM j WHERE j + 1 < ?3),
	ids AS MATERIALIZED (SELECT k, scale_uuid(0, 'identity-' || k) AS id FROM n),
	s AS (SELECT k, j, id, 'scale-token-' || k || '-' || j AS tok,
		?4 - (k * 7919 + j * 104729) % 2592000 AS issued FROM ids, j)
	INSERT INTO sessions (id, token_hash, version, identity_id, active, aal, authenticated_at, issued_at, expires_at,
		authentication_methods, devices, created_at, updated_at)
	SELECT scale_uuid(1, tok), scale_sha256(tok), 1, id, 1, 'aal1', ` + sqliteTS("issued") + `, ` + sqliteTS("issued") + `,
		CASE WHEN ?5 AND j % 3 = 2 THEN ` + sqliteTS("?4 - 172800") + ` ELSE ` + sqliteTS("?4 + (1 + (k + j) % 23) * 3600") + ` END,
		'[{"method":"password","aal":"aal1","completed_at":"' || strftime('%Y-%m-%dT%H:%M:%SZ', issued, 'unixepoch') || '"}]',
		'[{"id":"' || scale_uuid(0, tok) || '","ip_address":"192.0.2.' || ((k * 31 + j) % 250) ||
			'","user_agent":"` + deviceAgent + `","location":""}]',
		` + sqliteTS("issued") + `, ` + sqliteTS("issued") + `
	FROM s`

// buildSQLite fills an empty, migrated SQLite store like build does, through a connection of
// its own to the store's file.
func buildSQLite(ctx context.Context, st *sqlstore.Store, n, perIdentity, big int, cred string, progress func(string)) (*dataset, error) {
	var seq int
	var schema, path string
	if err := st.DB().QueryRowContext(ctx, "PRAGMA database_list").Scan(&seq, &schema, &path); err != nil {
		return nil, fmt.Errorf("the store's file: %w", err)
	}
	buildDriver()
	db, err := sql.Open(sqliteBuildDriver, "file:"+path)
	if err != nil {
		return nil, err
	}
	defer db.Close()
	conn, err := db.Conn(ctx)
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	for _, p := range []string{"busy_timeout = 60000", "foreign_keys = OFF", "synchronous = OFF",
		fmt.Sprintf("cache_size = -%d", sqliteBuildCacheKiB), "temp_store = MEMORY"} {
		if _, err := conn.ExecContext(ctx, "PRAGMA "+p); err != nil {
			return nil, fmt.Errorf("pragma %s: %w", p, err)
		}
	}
	restore, err := dropSQLiteIndexes(ctx, conn)
	if err != nil {
		return nil, err
	}
	now := time.Now().Unix()
	// One transaction for all the rows: the primary keys and the token index take scattered
	// keys, so a chunk dirties nearly every leaf page of them, and a commit per chunk wrote
	// those whole indexes to the WAL (and checkpointed them back) again and again: at 600,000
	// identities a chunk of 50,000 took 4.5 min against 1 min for the first. In one
	// transaction each page is written once, when the page cache spills or at the commit.
	tx, err := conn.BeginTx(ctx, nil)
	if err != nil {
		return nil, err
	}
	defer func() { _ = tx.Rollback() }()
	for lo := 0; lo < n+bigIdentities; lo += sqliteChunk {
		hi := min(lo+sqliteChunk, n+bigIdentities)
		for _, q := range sqliteIdentitySQL {
			if _, err := tx.ExecContext(ctx, q, lo, hi, now, cred); err != nil {
				return nil, fmt.Errorf("identities %d-%d: %w", lo, hi, err)
			}
		}
		if sl := min(hi, n); sl > lo && perIdentity > 0 {
			if _, err := tx.ExecContext(ctx, sqliteSessionSQL, lo, sl, perIdentity, now, true); err != nil {
				return nil, fmt.Errorf("sessions of %d-%d: %w", lo, sl, err)
			}
		}
		if progress != nil {
			progress(fmt.Sprintf("%d identities", hi))
		}
	}
	if _, err := tx.ExecContext(ctx, sqliteSessionSQL, n, n+bigIdentities, big, now, false); err != nil {
		return nil, fmt.Errorf("the big identities' sessions: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return nil, err
	}
	for _, q := range restore {
		start := time.Now()
		if _, err := conn.ExecContext(ctx, q); err != nil {
			return nil, fmt.Errorf("%s: %w", q, err)
		}
		if progress != nil {
			progress(fmt.Sprintf("%s (%s)", strings.Join(strings.Fields(q), " "), time.Since(start).Round(time.Second)))
		}
	}
	if _, err := conn.ExecContext(ctx, "PRAGMA wal_checkpoint(TRUNCATE)"); err != nil {
		return nil, fmt.Errorf("checkpoint: %w", err)
	}
	if _, err := st.DB().ExecContext(ctx, "PRAGMA optimize"); err != nil {
		return nil, err
	}
	ds := derived(n, sqliteID)
	ds.expired = n * (perIdentity / 3)
	return ds, nil
}

// dropSQLiteIndexes drops the indexes created by CREATE INDEX on sqliteTables (not the
// automatic ones of primary keys and UNIQUE constraints, which SQLite cannot drop) and returns
// their definitions.
func dropSQLiteIndexes(ctx context.Context, conn *sql.Conn) ([]string, error) {
	rows, err := conn.QueryContext(ctx, `SELECT name, sql FROM sqlite_master
		WHERE type = 'index' AND sql IS NOT NULL AND tbl_name IN (`+strings.Repeat("?,", len(sqliteTables)-1)+`?)`,
		func() []any {
			a := make([]any, len(sqliteTables))
			for i, t := range sqliteTables {
				a[i] = t
			}
			return a
		}()...)
	if err != nil {
		return nil, err
	}
	var names, create []string
	for rows.Next() {
		var name, def string
		if err := rows.Scan(&name, &def); err != nil {
			rows.Close()
			return nil, err
		}
		names = append(names, name)
		create = append(create, def)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	for _, name := range names {
		if _, err := conn.ExecContext(ctx, `DROP INDEX "`+name+`"`); err != nil {
			return nil, fmt.Errorf("drop index %s: %w", name, err)
		}
	}
	return create, nil
}
