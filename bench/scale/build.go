package main

import (
	"context"
	"fmt"

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
// addresses, every other one a settings flow), perIdentity sessions each (a third of them
// expired two days ago), and bigIdentities more identities with big sessions each, set-based on
// both backends (buildSQLite, buildPostgres). Everything is derived from the row numbers, so
// two builds are the same data.
func build(ctx context.Context, st *sqlstore.Store, n, perIdentity, big int, progress func(string)) (*dataset, error) {
	hash, err := bcrypt.GenerateFromPassword([]byte(Password), 4)
	if err != nil {
		return nil, err
	}
	cred := fmt.Sprintf(`{"hashed_password":%q}`, hash)
	if st.Dialect() == "postgres" {
		return buildPostgres(ctx, st, n, perIdentity, big, cred, progress)
	}
	return buildSQLite(ctx, st, n, perIdentity, big, cred, progress)
}
