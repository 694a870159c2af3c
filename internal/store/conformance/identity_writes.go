package conformance

import (
	"database/sql"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/google/uuid"

	"github.com/portico-auth/portico/internal/apierr"
	"github.com/portico-auth/portico/internal/identity"
	"github.com/portico-auth/portico/internal/store"
)

// childTables are the rows an identity holds besides its own.
var childTables = []string{
	"identity_credentials", "identity_credential_identifiers", "identity_credential_keys",
	"identity_verifiable_addresses", "identity_recovery_addresses",
}

// sqlBacked is what a SQL store offers tests: its write pool and its dialect's name.
type sqlBacked interface {
	DB() *sql.DB
	Dialect() string
}

// writeJournal installs row triggers on the child tables that record every insert, update
// and delete in a table of their own, and returns a function that reads and empties it
// ("table OP" → rows). It is how the suite sees which rows an update wrote, which the
// store's interface does not show.
func writeJournal(t *testing.T, s store.Store) func() map[string]int {
	t.Helper()
	sb, ok := s.(sqlBacked)
	if !ok {
		t.Fatalf("%T has no database handle to watch writes with", s)
	}
	db := sb.DB()
	var stmts []string
	switch sb.Dialect() {
	case "postgres":
		stmts = append(stmts, `CREATE TABLE write_journal (tbl TEXT NOT NULL, op TEXT NOT NULL)`,
			`CREATE FUNCTION write_journal_row() RETURNS trigger LANGUAGE plpgsql AS $$
			BEGIN INSERT INTO write_journal VALUES (TG_TABLE_NAME, TG_OP); RETURN NULL; END $$`)
		for _, tbl := range childTables {
			stmts = append(stmts, fmt.Sprintf(`CREATE TRIGGER wj_%s AFTER INSERT OR UPDATE OR DELETE ON %s
				FOR EACH ROW EXECUTE FUNCTION write_journal_row()`, tbl, tbl))
		}
	case "mysql":
		stmts = append(stmts, `CREATE TABLE write_journal (tbl VARCHAR(64) NOT NULL, op VARCHAR(8) NOT NULL)`)
		for _, tbl := range childTables {
			for _, op := range []string{"INSERT", "UPDATE", "DELETE"} {
				stmts = append(stmts, fmt.Sprintf(`CREATE TRIGGER wj_%s_%s AFTER %s ON %s FOR EACH ROW
					INSERT INTO write_journal VALUES ('%s', '%s')`, tbl, strings.ToLower(op), op, tbl, tbl, op))
			}
		}
	default: // sqlite
		stmts = append(stmts, `CREATE TABLE write_journal (tbl TEXT NOT NULL, op TEXT NOT NULL)`)
		for _, tbl := range childTables {
			for _, op := range []string{"INSERT", "UPDATE", "DELETE"} {
				stmts = append(stmts, fmt.Sprintf(`CREATE TRIGGER wj_%s_%s AFTER %s ON %s
					BEGIN INSERT INTO write_journal VALUES ('%s', '%s'); END`, tbl, strings.ToLower(op), op, tbl, tbl, op))
			}
		}
	}
	for _, q := range stmts {
		if _, err := db.ExecContext(ctx(t), q); err != nil {
			t.Fatalf("install write journal: %v\n%s", err, q)
		}
	}
	return func() map[string]int {
		t.Helper()
		rows, err := db.QueryContext(ctx(t), `SELECT tbl, op FROM write_journal`)
		must(t, err)
		defer rows.Close()
		out := map[string]int{}
		for rows.Next() {
			var tbl, op string
			must(t, rows.Scan(&tbl, &op))
			out[tbl+" "+op]++
		}
		must(t, rows.Err())
		_, err = db.ExecContext(ctx(t), `DELETE FROM write_journal`)
		must(t, err)
		return out
	}
}

// webauthnConfig is a WebAuthn credential config holding the given key ids (standard base64).
func webauthnConfig(keys ...string) json.RawMessage {
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf(`{"id":%q,"display_name":"key %d"}`, k, i)
	}
	return json.RawMessage(`{"credentials":[` + strings.Join(parts, ",") + `],"user_handle":"dXNlcg=="}`)
}

// richIdentity holds a password with two identifiers, TOTP, WebAuthn with two keys, two
// verifiable addresses and one recovery address.
func richIdentity(t *testing.T, s store.Store, email string) *identity.Identity {
	t.Helper()
	id := newIdentity(email)
	pw := id.Credentials[identity.CredentialsPassword]
	pw.Identifiers = []string{email, "user-" + email}
	id.Credentials[identity.CredentialsPassword] = pw
	id.Credentials[identity.CredentialsTOTP] = identity.Credentials{Config: json.RawMessage(`{"totp_url":"otpauth://totp/a"}`), Version: 1}
	id.Credentials[identity.CredentialsWebAuthn] = identity.Credentials{Config: webauthnConfig("AQID", "BAUG"), Version: 1}
	id.VerifiableAddresses = append(id.VerifiableAddresses, identity.VerifiableAddress{Value: "second-" + email, Via: "email", Status: "pending"})
	must(t, s.CreateIdentity(ctx(t), id))
	got, err := s.GetIdentity(ctx(t), id.ID, true)
	must(t, err)
	return got
}

// describeChildren is a canonical text of everything an identity holds besides its own row,
// ids included, so two identities compare equal only if every child row is the same.
func describeChildren(id *identity.Identity) string {
	var b strings.Builder
	types := make([]string, 0, len(id.Credentials))
	for ct := range id.Credentials {
		types = append(types, string(ct))
	}
	sort.Strings(types)
	for _, ct := range types {
		c := id.Credentials[identity.CredentialsType(ct)]
		fmt.Fprintf(&b, "cred %s id=%s v=%d ids=%s created=%s updated=%s config=%s\n", ct, c.ID, c.Version,
			strings.Join(c.Identifiers, ","), c.CreatedAt.UTC().Format("15:04:05.000000"), c.UpdatedAt.UTC().Format("15:04:05.000000"), c.Config)
	}
	va := append([]identity.VerifiableAddress(nil), id.VerifiableAddresses...)
	sort.Slice(va, func(i, j int) bool { return va[i].Value < va[j].Value })
	for _, a := range va {
		at := "nil"
		if a.VerifiedAt != nil {
			at = a.VerifiedAt.UTC().Format("15:04:05.000000")
		}
		fmt.Fprintf(&b, "verifiable %s id=%s %s verified=%v status=%s at=%s\n", a.Value, a.ID, a.Via, a.Verified, a.Status, at)
	}
	ra := append([]identity.RecoveryAddress(nil), id.RecoveryAddresses...)
	sort.Slice(ra, func(i, j int) bool { return ra[i].Value < ra[j].Value })
	for _, a := range ra {
		fmt.Fprintf(&b, "recovery %s id=%s %s\n", a.Value, a.ID, a.Via)
	}
	return b.String()
}

// testIdentityDiffedWrites: an update writes only the child rows that changed, and the stored
// identity is exactly the one written (every other row intact, the key-id index right).
func testIdentityDiffedWrites(t *testing.T, s store.Store) {
	journal := writeJournal(t, s)
	other := create(t, s, "other-diff@example.com")
	cases := []struct {
		name   string
		change func(id *identity.Identity)
		writes map[string]int
	}{
		{"traits only", func(id *identity.Identity) {
			id.Traits = json.RawMessage(`{"email":"diff@example.com","name":"changed"}`)
		}, map[string]int{}},
		{"one credential", func(id *identity.Identity) {
			c := id.Credentials[identity.CredentialsTOTP]
			c.Config = json.RawMessage(`{"totp_url":"otpauth://totp/b"}`)
			c.Version = 2
			id.Credentials[identity.CredentialsTOTP] = c
		}, map[string]int{"identity_credentials UPDATE": 1}},
		{"an identifier", func(id *identity.Identity) {
			c := id.Credentials[identity.CredentialsPassword]
			c.Identifiers = []string{c.Identifiers[0], "renamed-diff"}
			id.Credentials[identity.CredentialsPassword] = c
		}, map[string]int{"identity_credential_identifiers DELETE": 1, "identity_credential_identifiers INSERT": 1}},
		{"identifier order", func(id *identity.Identity) {
			c := id.Credentials[identity.CredentialsPassword]
			c.Identifiers = []string{c.Identifiers[1], c.Identifiers[0]}
			id.Credentials[identity.CredentialsPassword] = c
		}, map[string]int{"identity_credential_identifiers UPDATE": 2}},
		{"an address", func(id *identity.Identity) {
			now := base
			id.VerifiableAddresses[0].Verified, id.VerifiableAddresses[0].Status, id.VerifiableAddresses[0].VerifiedAt = true, "completed", &now
		}, map[string]int{"identity_verifiable_addresses UPDATE": 1}},
		{"an address replaced", func(id *identity.Identity) {
			id.RecoveryAddresses = []identity.RecoveryAddress{{ID: uuid.New(), Value: "recover-diff@example.com", Via: "email", CreatedAt: base, UpdatedAt: base}}
		}, map[string]int{"identity_recovery_addresses DELETE": 1, "identity_recovery_addresses INSERT": 1}},
		{"a key added and one removed", func(id *identity.Identity) {
			c := id.Credentials[identity.CredentialsWebAuthn]
			c.Config = webauthnConfig("AQID", "BwgJ")
			id.Credentials[identity.CredentialsWebAuthn] = c
		}, map[string]int{"identity_credentials UPDATE": 1, "identity_credential_keys DELETE": 1, "identity_credential_keys INSERT": 1}},
		{"a credential removed and one added", func(id *identity.Identity) {
			delete(id.Credentials, identity.CredentialsTOTP)
			id.Credentials[identity.CredentialsLookupSecret] = identity.Credentials{Config: json.RawMessage(`{"recovery_codes":[]}`)}
		}, map[string]int{"identity_credentials DELETE": 1, "identity_credentials INSERT": 1}},
	}
	// Each way of finding the stored rows runs every change on an identity of its own (the
	// first is deleted after, freeing its identifiers and keys for the second).
	var id *identity.Identity
	for m, mode := range []string{"read in the transaction", "compared with the identity as read"} {
		if m > 0 {
			must(t, s.DeleteIdentity(ctx(t), id.ID))
		}
		id = richIdentity(t, s, "diff@example.com")
		journal()
		for _, tc := range cases {
			t.Run(tc.name+", "+mode, func(t *testing.T) {
				cur, err := s.GetIdentity(ctx(t), id.ID, true)
				must(t, err)
				tc.change(cur)
				if mode == "read in the transaction" {
					must(t, s.UpdateIdentity(ctx(t), cur))
				} else {
					stored, err := s.GetIdentity(ctx(t), id.ID, true)
					must(t, err)
					must(t, s.UpdateIdentityWith(ctx(t), cur, store.IdentityWrites{Stored: stored}))
				}
				checkDiffedWrite(t, s, id.ID, cur, journal(), tc.writes)
			})
		}
	}

	// The key index follows the config: the removed key is free, the added one taken.
	o, err := s.GetIdentity(ctx(t), other.ID, true)
	must(t, err)
	o.Credentials[identity.CredentialsWebAuthn] = identity.Credentials{Config: webauthnConfig("BwgJ")}
	wantKind(t, s.UpdateIdentity(ctx(t), o), apierr.ErrConflict)
	o, err = s.GetIdentity(ctx(t), other.ID, true)
	must(t, err)
	o.Credentials[identity.CredentialsWebAuthn] = identity.Credentials{Config: webauthnConfig("BAUG")}
	must(t, s.UpdateIdentity(ctx(t), o))
	// The renamed identifier and the replaced recovery address are taken, the old ones free.
	_, err = s.FindByCredentialsIdentifier(ctx(t), identity.CredentialsPassword, "renamed-diff")
	must(t, err)
	_, err = s.FindByCredentialsIdentifier(ctx(t), identity.CredentialsPassword, "user-diff@example.com")
	wantKind(t, err, apierr.ErrNotFound)
}

// testIdentityDiffedWritesConflict: 100 updates from the same version, each changing another
// part (traits, a credential, an identifier, an address), race; exactly one is applied, whole,
// and every other is a conflict that wrote nothing.
func testIdentityDiffedWritesConflict(t *testing.T, s store.Store) {
	id := richIdentity(t, s, "race-diff@example.com")
	const n = 100
	copies := make([]*identity.Identity, n)
	for i := range copies {
		c, err := s.GetIdentity(ctx(t), id.ID, true)
		must(t, err)
		switch i % 4 {
		case 0:
			c.Traits = json.RawMessage(fmt.Sprintf(`{"email":"race-diff@example.com","n":%d}`, i))
		case 1:
			cr := c.Credentials[identity.CredentialsTOTP]
			cr.Config = json.RawMessage(fmt.Sprintf(`{"totp_url":"otpauth://totp/%d"}`, i))
			c.Credentials[identity.CredentialsTOTP] = cr
		case 2:
			cr := c.Credentials[identity.CredentialsPassword]
			cr.Identifiers = []string{cr.Identifiers[0], fmt.Sprintf("race-%d", i)}
			c.Credentials[identity.CredentialsPassword] = cr
		case 3:
			c.RecoveryAddresses = append(c.RecoveryAddresses, identity.RecoveryAddress{
				ID: uuid.New(), Value: fmt.Sprintf("race-%d@example.com", i), Via: "email", CreatedAt: base, UpdatedAt: base})
		}
		copies[i] = c
	}
	errs := inParallel(n, func(i int) error { return s.UpdateIdentity(ctx(t), copies[i]) })
	winner := oneWinner(t, errs)
	got, err := s.GetIdentity(ctx(t), id.ID, true)
	must(t, err)
	w := copies[winner]
	if got.Version != 2 || string(got.Traits) != string(w.Traits) {
		t.Errorf("stored v%d %s, want v2 %s", got.Version, got.Traits, w.Traits)
	}
	if a, b := describeChildren(got), describeChildren(w); a != b {
		t.Errorf("stored children (winner %d):\n%s\nwant:\n%s", winner, a, b)
	}
}

// oneWinner returns the index of the one update of errs that succeeded; the others must be
// version conflicts.
func oneWinner(t *testing.T, errs []error) int {
	t.Helper()
	winner := -1
	for i, err := range errs {
		switch {
		case err == nil:
			if winner >= 0 {
				t.Errorf("updates %d and %d both applied", winner, i)
			}
			winner = i
		case isKind(err, apierr.ErrConflict):
		default:
			t.Errorf("update %d: %v", i, err)
		}
	}
	if winner < 0 {
		t.Fatal("no update applied")
	}
	return winner
}

// checkDiffedWrite checks one update of testIdentityDiffedWrites: the rows written and the
// identity stored.
func checkDiffedWrite(t *testing.T, s store.Store, id uuid.UUID, cur *identity.Identity, got, want map[string]int) {
	t.Helper()
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("rows written = %v, want %v", got, want)
	}
	after, err := s.GetIdentity(ctx(t), id, true)
	must(t, err)
	if string(after.Traits) != string(cur.Traits) || after.Version != cur.Version {
		t.Errorf("identity row = %s v%d, want %s v%d", after.Traits, after.Version, cur.Traits, cur.Version)
	}
	if a, w := describeChildren(after), describeChildren(cur); a != w {
		t.Errorf("stored children:\n%s\nwant:\n%s", a, w)
	}
}

// testIdentityDiffedWritesRetried: 100 updates of one identity race as settings changes do
// (read the identity, change it, store it compared with the copy read, IdentityWrites.Stored),
// each read again and retried after a version conflict until it is applied. None is lost: the
// identity ends at version 101 with every update's recovery address and nothing else changed,
// and the child tables saw exactly the 100 insertions, so no refused attempt wrote a row and
// no applied one rewrote a credential, identifier or another address.
func testIdentityDiffedWritesRetried(t *testing.T, s store.Store) {
	journal := writeJournal(t, s)
	id := richIdentity(t, s, "retry-diff@example.com")
	journal()
	const n = 100
	var conflicts atomic.Int64
	errs := inParallel(n, func(i int) error {
		for {
			cur, err := s.GetIdentity(ctx(t), id.ID, true)
			if err != nil {
				return err
			}
			read := cur.Clone()
			cur.Traits = json.RawMessage(fmt.Sprintf(`{"email":"retry-diff@example.com","last":%d}`, i))
			cur.RecoveryAddresses = append(cur.RecoveryAddresses, identity.RecoveryAddress{
				ID: uuid.New(), Value: fmt.Sprintf("retry-%d@example.com", i), Via: "email", CreatedAt: base, UpdatedAt: base})
			err = s.UpdateIdentityWith(ctx(t), cur, store.IdentityWrites{Stored: read})
			if !isKind(err, apierr.ErrConflict) {
				return err
			}
			conflicts.Add(1)
		}
	})
	for i, err := range errs {
		if err != nil {
			t.Errorf("update %d: %v", i, err)
		}
	}
	got, err := s.GetIdentity(ctx(t), id.ID, true)
	must(t, err)
	if got.Version != id.Version+n {
		t.Errorf("version %d after %d applied updates of version %d", got.Version, n, id.Version)
	}
	want := id.Clone()
	want.RecoveryAddresses = got.RecoveryAddresses // compared below
	if a, b := describeChildren(got), describeChildren(want); a != b {
		t.Errorf("children other than the recovery addresses changed:\n%s\nwant:\n%s", a, b)
	}
	values := map[string]bool{}
	for _, a := range got.RecoveryAddresses {
		values[a.Value] = true
	}
	for _, a := range id.RecoveryAddresses {
		if !values[a.Value] {
			t.Errorf("the first recovery address %s is gone", a.Value)
		}
	}
	for i := range n {
		if v := fmt.Sprintf("retry-%d@example.com", i); !values[v] {
			t.Errorf("update %d's recovery address %s was lost", i, v)
		}
	}
	if len(got.RecoveryAddresses) != len(id.RecoveryAddresses)+n {
		t.Errorf("%d recovery addresses, want %d", len(got.RecoveryAddresses), len(id.RecoveryAddresses)+n)
	}
	if w, want := journal(), map[string]int{"identity_recovery_addresses INSERT": n}; fmt.Sprint(w) != fmt.Sprint(want) {
		t.Errorf("child rows written %v, want %v (%d conflicts retried)", w, want, conflicts.Load())
	}
	t.Logf("%d updates applied after %d conflicts", n, conflicts.Load())
}
