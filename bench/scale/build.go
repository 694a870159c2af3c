package main

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"fmt"
	"math/rand/v2"
	"strings"
	"time"

	"github.com/google/uuid"
	"golang.org/x/crypto/bcrypt"

	"github.com/portico-auth/portico/internal/store/sqlstore"
)

// Password is every built identity's password; its bcrypt hash (cost 4, real but cheap) is
// computed once and shared.
const Password = "scale-bench-password"

// bigIdentities are the identities built beyond -identities, each with -big sessions: one
// whose sessions are listed, one deleted on an idle database and one deleted under load.
const bigIdentities = 3

// maxTokens is how many live sessions' tokens the scenarios pick from.
const maxTokens = 100000

// dataset names what was built: the identities' ids in order, and the tokens of some live
// sessions.
type dataset struct {
	ids        []uuid.UUID
	tokens     []string // session tokens of live sessions (SHA-256 stored, as Portico stores them)
	big        uuid.UUID
	bigVictim  uuid.UUID // another identity with -big sessions, deleted on the idle database
	loadVictim uuid.UUID // a third one, deleted while whoami and settings writes run (-load)
	expired    int
}

// sqliteID is identity k's id in a SQLite build (pgID names PostgreSQL's).
func sqliteID(k int) uuid.UUID {
	return uuid.NewSHA1(uuid.NameSpaceOID, fmt.Appendf(nil, "identity-%d", k))
}

// derived is what a build with n identities holds, from their ids: the ids, the tokens of
// live sessions spread over every identity (session 0 is never expired), and the three big
// identities, so that -reuse can measure a database an earlier run built.
func derived(n int, idOf func(int) uuid.UUID) *dataset {
	ds := &dataset{ids: make([]uuid.UUID, n)}
	for k := range n {
		ds.ids[k] = idOf(k)
	}
	for i := range min(n, maxTokens) {
		ds.tokens = append(ds.tokens, token(i*n/min(n, maxTokens), 0))
	}
	ds.big, ds.bigVictim, ds.loadVictim = idOf(n), idOf(n+1), idOf(n+2)
	return ds
}

// emailOf is identity n's address (and password identifier).
func emailOf(n int) string { return fmt.Sprintf("user%d@scale.example", n) }

// token is the session token of identity n's session j; tokenHash what the store keeps.
func token(n, j int) string { return fmt.Sprintf("scale-token-%d-%d", n, j) }

// build fills an empty, migrated store with n identities (a password credential, both
// addresses), perIdentity sessions each (a third of them expired two days ago), and
// bigIdentities more identities with big sessions each. On SQLite it writes multi-row INSERTs
// of 200 rows inside transactions of 20,000 rows; on PostgreSQL set-based statements
// (buildPostgres). Everything is derived from a fixed seed, so two builds are the same data.
func build(ctx context.Context, st *sqlstore.Store, n, perIdentity, big int, progress func(string)) (*dataset, error) {
	hash, err := bcrypt.GenerateFromPassword([]byte(Password), 4)
	if err != nil {
		return nil, err
	}
	cred := fmt.Sprintf(`{"hashed_password":%q}`, hash)
	if st.Dialect() == "postgres" {
		return buildPostgres(ctx, st, n, perIdentity, big, cred, progress)
	}
	rng := rand.New(rand.NewPCG(20, 26))
	now := time.Now().UTC().Truncate(time.Microsecond)
	ds := &dataset{}
	ins := newInserter(st)
	ts := func(t time.Time) any { return t.UTC().Format("2006-01-02 15:04:05.000000") } // sqlstore's layout
	addIdentity := func(k int) (uuid.UUID, error) {
		id := sqliteID(k)
		cid := uuid.NewSHA1(uuid.NameSpaceOID, fmt.Appendf(nil, "credential-%d", k))
		email := emailOf(k)
		created := ts(now.Add(-time.Duration(rng.IntN(365*24)) * time.Hour))
		return id, ins.add(ctx,
			row{"identities", "id, schema_id, state, traits, metadata_public, version, created_at, updated_at",
				[]any{id, "default", "active", fmt.Sprintf(`{"email":%q,"name":{"first":"Ada","last":"Lovelace"}}`, email), "{}", 1, created, created}},
			row{"identity_credentials", "id, identity_id, type, config, version, created_at, updated_at",
				[]any{cid, id, "password", cred, 0, created, created}},
			row{"identity_credential_identifiers", "credential_type, identifier, identity_id, credential_id, position",
				[]any{"password", email, id, cid, 0}},
			row{"identity_verifiable_addresses", "id, identity_id, via, value, verified, status, created_at, updated_at",
				[]any{uuid.NewSHA1(uuid.NameSpaceOID, fmt.Appendf(nil, "verifiable-%d", k)), id, "email", email, false, "pending", created, created}},
			row{"identity_recovery_addresses", "id, identity_id, via, value, created_at, updated_at",
				[]any{uuid.NewSHA1(uuid.NameSpaceOID, fmt.Appendf(nil, "recovery-%d", k)), id, "email", email, created, created}},
		)
	}
	addSession := func(k, j int, id uuid.UUID, expired bool) error {
		h := sha256.Sum256([]byte(token(k, j)))
		issued := now.Add(-time.Duration(rng.IntN(30*24*3600)) * time.Second)
		expires := now.Add(time.Duration(1+rng.IntN(23)) * time.Hour)
		if expired {
			expires = now.Add(-48 * time.Hour)
			ds.expired++
		}
		methods := fmt.Sprintf(`[{"method":"password","aal":"aal1","completed_at":%q}]`, issued.Format(time.RFC3339Nano))
		devices := fmt.Sprintf(`[{"id":%q,"ip_address":"192.0.2.%d","user_agent":"Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0","location":""}]`,
			uuid.NewSHA1(uuid.NameSpaceOID, []byte(token(k, j))), rng.IntN(250))
		return ins.add(ctx, row{"sessions", "id, token_hash, version, identity_id, active, aal, authenticated_at, issued_at, expires_at, authentication_methods, devices, created_at, updated_at",
			[]any{uuid.NewSHA1(uuid.NameSpaceURL, []byte(token(k, j))), h[:], 1, id, true, "aal1", ts(issued), ts(issued), ts(expires), methods, devices, ts(issued), ts(issued)}})
	}
	for k := range n {
		id, err := addIdentity(k)
		if err != nil {
			return nil, err
		}
		ds.ids = append(ds.ids, id)
		for j := range perIdentity {
			expired := j%3 == 2
			if err := addSession(k, j, id, expired); err != nil {
				return nil, err
			}
		}
		if progress != nil && (k+1)%50000 == 0 {
			progress(fmt.Sprintf("%d identities", k+1))
		}
	}
	for i, dst := range []*uuid.UUID{&ds.big, &ds.bigVictim, &ds.loadVictim} {
		k := n + i
		id, err := addIdentity(k)
		if err != nil {
			return nil, err
		}
		*dst = id
		for j := range big {
			if err := addSession(k, j, id, false); err != nil {
				return nil, err
			}
		}
	}
	if err := ins.flush(ctx); err != nil {
		return nil, err
	}
	_, err = st.DB().ExecContext(ctx, "PRAGMA optimize")
	ds.tokens = derived(n, sqliteID).tokens
	return ds, err
}

type row struct {
	table, cols string
	vals        []any
}

// inserter batches rows per table into multi-row INSERTs inside one transaction per
// txRows rows.
type inserter struct {
	st      *sqlstore.Store
	pending map[string][]row
	order   []string
	tx      *sql.Tx
	inTx    int
}

const (
	stmtRows = 200
	txRows   = 20000
)

func newInserter(st *sqlstore.Store) *inserter {
	return &inserter{st: st, pending: map[string][]row{}}
}

func (in *inserter) add(ctx context.Context, rows ...row) error {
	for _, r := range rows {
		if _, ok := in.pending[r.table]; !ok {
			in.order = append(in.order, r.table)
		}
		in.pending[r.table] = append(in.pending[r.table], r)
		if len(in.pending[r.table]) >= stmtRows {
			// Parents first: write every table's pending rows in creation order.
			if err := in.flushTables(ctx); err != nil {
				return err
			}
		}
	}
	return nil
}

func (in *inserter) flushTables(ctx context.Context) error {
	for _, t := range in.order {
		rows := in.pending[t]
		if len(rows) == 0 {
			continue
		}
		if err := in.write(ctx, rows); err != nil {
			return err
		}
		in.pending[t] = rows[:0]
	}
	if in.inTx >= txRows && in.tx != nil {
		err := in.tx.Commit()
		in.tx, in.inTx = nil, 0
		return err
	}
	return nil
}

func (in *inserter) write(ctx context.Context, rows []row) error {
	if in.tx == nil {
		tx, err := in.st.DB().BeginTx(ctx, nil)
		if err != nil {
			return err
		}
		in.tx = tx
	}
	ncols := len(rows[0].vals)
	var b strings.Builder
	b.WriteString("INSERT INTO " + rows[0].table + " (" + rows[0].cols + ") VALUES ")
	args := make([]any, 0, len(rows)*ncols)
	for i, r := range rows {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteByte('(')
		for c := range ncols {
			if c > 0 {
				b.WriteByte(',')
			}
			b.WriteByte('?')
		}
		b.WriteByte(')')
		args = append(args, r.vals...)
	}
	if _, err := in.tx.ExecContext(ctx, b.String(), args...); err != nil {
		return fmt.Errorf("insert into %s: %w", rows[0].table, err)
	}
	in.inTx += len(rows)
	return nil
}

func (in *inserter) flush(ctx context.Context) error {
	in.inTx = txRows // commit whatever is pending
	if err := in.flushTables(ctx); err != nil {
		return err
	}
	if in.tx != nil {
		err := in.tx.Commit()
		in.tx = nil
		return err
	}
	return nil
}
