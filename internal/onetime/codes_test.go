package onetime_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/portico-auth/portico/internal/onetime"
	"github.com/portico-auth/portico/internal/store"
	"github.com/portico-auth/portico/internal/store/sqlstore"
	"github.com/portico-auth/portico/internal/testdb"
	"github.com/portico-auth/portico/internal/throttle"
)

// backends opens a fresh migrated store on SQLite, and on PostgreSQL and MariaDB when their
// DSNs are set (CI sets them; a missing one fails there).
func backends(t *testing.T) map[string]func(t *testing.T) *sqlstore.Store {
	open := func(t *testing.T, dsn string) *sqlstore.Store {
		s, err := sqlstore.Open(context.Background(), dsn)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = s.Close() })
		if err := s.MigrateUp(context.Background(), nil); err != nil {
			t.Fatal(err)
		}
		return s
	}
	return map[string]func(t *testing.T) *sqlstore.Store{
		"sqlite": func(t *testing.T) *sqlstore.Store {
			return open(t, "sqlite://"+t.TempDir()+"/codes.db")
		},
		"postgres": func(t *testing.T) *sqlstore.Store {
			return open(t, testdb.PostgresSchema(t, testdb.ServerDSN(t, testdb.PostgresEnv)))
		},
		"mysql": func(t *testing.T) *sqlstore.Store {
			return open(t, testdb.MySQLDatabase(t, testdb.ServerDSN(t, testdb.MySQLEnv)))
		},
	}
}

type fixture struct {
	st    *sqlstore.Store
	codes *onetime.Codes
	now   time.Time
	mu    sync.Mutex
}

func (f *fixture) clock() time.Time {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.now
}

func (f *fixture) advance(d time.Duration) {
	f.mu.Lock()
	f.now = f.now.Add(d)
	f.mu.Unlock()
}

func newFixture(t *testing.T, st *sqlstore.Store, secrets ...string) *fixture {
	if len(secrets) == 0 {
		secrets = []string{"a cookie secret of some length"}
	}
	f := &fixture{st: st, now: time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)}
	st.Now = f.clock
	f.codes = onetime.New(secrets, st, &throttle.Throttle{Counter: st}, onetime.Options{Now: f.clock})
	return f
}

func (f *fixture) flow(t *testing.T, kind string) uuid.UUID {
	t.Helper()
	r := &store.FlowRecord{Kind: kind, ExpiresAt: f.now.Add(time.Hour), Data: []byte(`{}`)}
	if err := f.st.CreateFlow(t.Context(), r); err != nil {
		t.Fatal(err)
	}
	return r.ID
}

func (f *fixture) issue(t *testing.T, flowID uuid.UUID, purpose, address string) *onetime.Issued {
	t.Helper()
	iss, err := f.codes.Issue(t.Context(), onetime.Target{FlowID: flowID, Purpose: purpose, Via: "email", Address: address})
	if err != nil {
		t.Fatal(err)
	}
	return iss
}

// wrong is a well-formed code that is not secret.
func wrong(secret string, i int) string {
	for {
		w := fmt.Sprintf("%06d", (i*7919+1)%1_000_000)
		if w != secret {
			return w
		}
		i++
	}
}

func wantErr(t *testing.T, err, want error, what string) {
	t.Helper()
	if !errors.Is(err, want) {
		t.Fatalf("%s: %v, want %v", what, err, want)
	}
}

func TestCodes(t *testing.T) {
	for name, open := range backends(t) {
		t.Run(name, func(t *testing.T) {
			st := open(t)
			t.Run("lifecycle", func(t *testing.T) { testLifecycle(t, newFixture(t, st)) })
			t.Run("bound", func(t *testing.T) { testBound(t, newFixture(t, st)) })
			t.Run("tries", func(t *testing.T) { testTries(t, newFixture(t, st)) })
			t.Run("address budget", func(t *testing.T) { testAddressBudget(t, newFixture(t, st)) })
			t.Run("concurrent guesses", func(t *testing.T) { testConcurrentGuesses(t, newFixture(t, st)) })
			t.Run("rotation", func(t *testing.T) { testRotation(t, st) })
			t.Run("links", func(t *testing.T) { testLinks(t, newFixture(t, st)) })
			t.Run("send budget", func(t *testing.T) { testSendBudget(t, newFixture(t, st)) })
		})
	}
}

// testLifecycle: a code is six digits, never stored, accepted once, refused when reused,
// replaced, or expired.
func testLifecycle(t *testing.T, f *fixture) {
	flowID := f.flow(t, "verification")
	iss := f.issue(t, flowID, onetime.PurposeVerification, "life@example.com")
	if _, ok := onetime.Normalize(iss.Secret); !ok {
		t.Fatalf("issued code %q is not %d digits", iss.Secret, onetime.Digits)
	}
	if strings.Contains(string(iss.Record.Hash), iss.Secret) || len(iss.Record.Hash) != 32 {
		t.Fatalf("stored hash %x", iss.Record.Hash)
	}
	if !iss.ExpiresAt.Equal(f.now.Add(onetime.DefaultLifespan)) {
		t.Fatalf("expires at %v", iss.ExpiresAt)
	}
	rec, err := f.codes.Check(t.Context(), flowID, onetime.PurposeVerification, " "+iss.Secret+" ")
	if err != nil || rec.Address != "life@example.com" {
		t.Fatalf("right code: %v %+v", err, rec)
	}
	_, err = f.codes.Check(t.Context(), flowID, onetime.PurposeVerification, iss.Secret)
	wantErr(t, err, onetime.ErrInvalid, "reused code")

	old := f.issue(t, flowID, onetime.PurposeVerification, "life@example.com")
	fresh := f.issue(t, flowID, onetime.PurposeVerification, "life@example.com")
	if old.Secret != fresh.Secret {
		_, err = f.codes.Check(t.Context(), flowID, onetime.PurposeVerification, old.Secret)
		wantErr(t, err, onetime.ErrInvalid, "a replaced code")
	}
	f.advance(onetime.DefaultLifespan)
	_, err = f.codes.Check(t.Context(), flowID, onetime.PurposeVerification, fresh.Secret)
	wantErr(t, err, onetime.ErrInvalid, "an expired code")

	for _, bad := range []string{"", "12345", "1234567", "12345a", "１２３４５６"} {
		_, err = f.codes.Check(t.Context(), flowID, onetime.PurposeVerification, bad)
		wantErr(t, err, onetime.ErrInvalid, fmt.Sprintf("malformed %q", bad))
	}
}

// testBound: a code works only on its flow and for its purpose.
func testBound(t *testing.T, f *fixture) {
	a, b := f.flow(t, "recovery"), f.flow(t, "recovery")
	iss := f.issue(t, a, onetime.PurposeRecovery, "bound@example.com")
	f.issue(t, b, onetime.PurposeRecovery, "bound@example.com")
	_, err := f.codes.Check(t.Context(), b, onetime.PurposeRecovery, iss.Secret)
	wantErr(t, err, onetime.ErrInvalid, "a code on another flow")
	_, err = f.codes.Check(t.Context(), a, onetime.PurposeVerification, iss.Secret)
	wantErr(t, err, onetime.ErrInvalid, "a code for another purpose")
	if _, err := f.codes.Check(t.Context(), a, onetime.PurposeRecovery, iss.Secret); err != nil {
		t.Fatalf("the code on its flow: %v", err)
	}
}

// testTries: five wrong codes, then even the right one is refused; a code sent again on the
// same flow does not give the flow more tries.
func testTries(t *testing.T, f *fixture) {
	flowID := f.flow(t, "verification")
	iss := f.issue(t, flowID, onetime.PurposeVerification, "tries@example.com")
	for i := range onetime.DefaultMaxTries {
		_, err := f.codes.Check(t.Context(), flowID, onetime.PurposeVerification, wrong(iss.Secret, i))
		wantErr(t, err, onetime.ErrInvalid, fmt.Sprintf("wrong code %d", i))
	}
	_, err := f.codes.Check(t.Context(), flowID, onetime.PurposeVerification, iss.Secret)
	wantErr(t, err, onetime.ErrTooManyTries, "the right code after five wrong ones")
	again := f.issue(t, flowID, onetime.PurposeVerification, "tries@example.com")
	_, err = f.codes.Check(t.Context(), flowID, onetime.PurposeVerification, again.Secret)
	wantErr(t, err, onetime.ErrTooManyTries, "a code sent again to a flow out of tries")
}

// testAddressBudget: new flows for the same address do not give an attacker new tries past
// the address budget; other addresses are not affected.
func testAddressBudget(t *testing.T, f *fixture) {
	budget := onetime.DefaultAddressBudget.Max
	guesses := 0
	for guesses < budget {
		flowID := f.flow(t, "recovery")
		iss := f.issue(t, flowID, onetime.PurposeRecovery, "Victim@example.com")
		for i := 0; i < onetime.DefaultMaxTries && guesses < budget; i++ {
			_, err := f.codes.Check(t.Context(), flowID, onetime.PurposeRecovery, wrong(iss.Secret, guesses))
			wantErr(t, err, onetime.ErrInvalid, fmt.Sprintf("guess %d", guesses))
			guesses++
		}
	}
	flowID := f.flow(t, "recovery")
	iss := f.issue(t, flowID, onetime.PurposeRecovery, "victim@EXAMPLE.com")
	_, err := f.codes.Check(t.Context(), flowID, onetime.PurposeRecovery, iss.Secret)
	wantErr(t, err, onetime.ErrTooManyTries, "a new flow after the address budget")
	other := f.flow(t, "recovery")
	iss = f.issue(t, other, onetime.PurposeRecovery, "someone@example.com")
	if _, err := f.codes.Check(t.Context(), other, onetime.PurposeRecovery, iss.Secret); err != nil {
		t.Fatalf("another address: %v", err)
	}
	f.advance(onetime.DefaultAddressBudget.Window + time.Second)
	flowID = f.flow(t, "recovery")
	iss = f.issue(t, flowID, onetime.PurposeRecovery, "victim@example.com")
	if _, err := f.codes.Check(t.Context(), flowID, onetime.PurposeRecovery, iss.Secret); err != nil {
		t.Fatalf("after the window: %v", err)
	}
}

// race runs n concurrent checks on flowID, guess(i) being the i-th, and counts the outcomes.
func race(t *testing.T, f *fixture, flowID uuid.UUID, n int, guess func(i int) string) (won, invalid, tooMany int) {
	t.Helper()
	var w, inv, many atomic.Int32
	var wg sync.WaitGroup
	start := make(chan struct{})
	errs := make(chan error, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			_, err := f.codes.Check(context.Background(), flowID, onetime.PurposeRecovery, guess(i))
			switch {
			case err == nil:
				w.Add(1)
			case errors.Is(err, onetime.ErrInvalid):
				inv.Add(1)
			case errors.Is(err, onetime.ErrTooManyTries):
				many.Add(1)
			default:
				errs <- err
			}
		}()
	}
	close(start)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	return int(w.Load()), int(inv.Load()), int(many.Load())
}

// testConcurrentGuesses: of 100 concurrent wrong guesses exactly MaxTries are compared and the
// rest refused (and then the right code too); of 100 concurrent guesses with the right code
// among them at most one succeeds (once it has, the others find no live code: invalid); of 100 concurrent submissions of the right code exactly one.
func testConcurrentGuesses(t *testing.T, f *fixture) {
	const n = 100
	flowID := f.flow(t, "recovery")
	iss := f.issue(t, flowID, onetime.PurposeRecovery, "race1@example.com")
	won, invalid, tooMany := race(t, f, flowID, n, func(i int) string { return wrong(iss.Secret, i) })
	if won != 0 || invalid != onetime.DefaultMaxTries || tooMany != n-onetime.DefaultMaxTries {
		t.Fatalf("%d concurrent wrong guesses: %d won, %d compared, %d refused; want 0, %d, %d",
			n, won, invalid, tooMany, onetime.DefaultMaxTries, n-onetime.DefaultMaxTries)
	}
	_, err := f.codes.Check(t.Context(), flowID, onetime.PurposeRecovery, iss.Secret)
	wantErr(t, err, onetime.ErrTooManyTries, "the right code after the race")

	flowID = f.flow(t, "recovery")
	iss = f.issue(t, flowID, onetime.PurposeRecovery, "race2@example.com")
	won, invalid, tooMany = race(t, f, flowID, n, func(i int) string {
		if i == n/2 {
			return iss.Secret
		}
		return wrong(iss.Secret, i)
	})
	if won > 1 || won+invalid+tooMany != n {
		t.Fatalf("%d concurrent guesses with the right one: %d won, %d invalid, %d refused", n, won, invalid, tooMany)
	}

	flowID = f.flow(t, "recovery")
	iss = f.issue(t, flowID, onetime.PurposeRecovery, "race3@example.com")
	won, invalid, tooMany = race(t, f, flowID, n, func(int) string { return iss.Secret })
	if won != 1 || won+invalid+tooMany != n {
		t.Fatalf("%d concurrent uses of the right code: %d won, %d invalid, %d refused; want exactly one to win", n, won, invalid, tooMany)
	}
}

// testRotation: a code issued under the old secret is accepted after a new secret is put
// first; a code hashed under an unknown secret is not.
func testRotation(t *testing.T, st *sqlstore.Store) {
	old := newFixture(t, st, "the old secret 0123456789")
	flowID := old.flow(t, "verification")
	iss := old.issue(t, flowID, onetime.PurposeVerification, "rot@example.com")
	stranger := newFixture(t, st, "some other secret 987654")
	_, err := stranger.codes.Check(t.Context(), flowID, onetime.PurposeVerification, iss.Secret)
	wantErr(t, err, onetime.ErrInvalid, "a code under an unknown secret")
	rotated := newFixture(t, st, "the new secret abcdefghij", "the old secret 0123456789")
	if _, err := rotated.codes.Check(t.Context(), flowID, onetime.PurposeVerification, iss.Secret); err != nil {
		t.Fatalf("after rotation: %v", err)
	}
	none := onetime.New(nil, st, nil, onetime.Options{Now: old.clock})
	if _, err := none.Issue(t.Context(), onetime.Target{FlowID: flowID, Purpose: onetime.PurposeVerification}); err == nil {
		t.Fatal("issued a code without a secret")
	}
}

// testLinks: a link token is long, found once, and only for its purpose and flow (another
// flow's check leaves it unused).
func testLinks(t *testing.T, f *fixture) {
	flowID := f.flow(t, "verification")
	iss, err := f.codes.IssueLink(t.Context(), onetime.Target{FlowID: flowID, Purpose: onetime.PurposeVerification, Via: "email", Address: "link@example.com"})
	if err != nil {
		t.Fatal(err)
	}
	if len(iss.Secret) < 43 {
		t.Fatalf("link token %q", iss.Secret)
	}
	_, err = f.codes.CheckLink(t.Context(), flowID, onetime.PurposeRecovery, iss.Secret)
	wantErr(t, err, onetime.ErrInvalid, "a link of another purpose")
	_, err = f.codes.CheckLink(t.Context(), f.flow(t, "verification"), onetime.PurposeVerification, iss.Secret)
	wantErr(t, err, onetime.ErrInvalid, "a link opened in another flow")
	rec, err := f.codes.CheckLink(t.Context(), flowID, onetime.PurposeVerification, iss.Secret)
	if err != nil || rec.FlowID != flowID {
		t.Fatalf("link: %v %+v", err, rec)
	}
	_, err = f.codes.CheckLink(t.Context(), flowID, onetime.PurposeVerification, iss.Secret)
	wantErr(t, err, onetime.ErrInvalid, "a used link")
	_, err = f.codes.CheckLink(t.Context(), flowID, onetime.PurposeVerification, strings.Repeat("A", 500))
	wantErr(t, err, onetime.ErrInvalid, "an oversized token")
	// The link method's token is not a code.
	_, err = f.codes.Check(t.Context(), flowID, onetime.PurposeVerification, "123456")
	wantErr(t, err, onetime.ErrInvalid, "a code on a flow with only a link")
}

// testSendBudget: sends to one address are bounded; the refusal is ErrSendLimited.
func testSendBudget(t *testing.T, f *fixture) {
	for i := range onetime.DefaultSendBudget.Max {
		if err := f.codes.ReserveSend(t.Context(), onetime.PurposeRecovery, "email", "flood@example.com"); err != nil {
			t.Fatalf("send %d: %v", i, err)
		}
	}
	wantErr(t, f.codes.ReserveSend(t.Context(), onetime.PurposeRecovery, "email", "FLOOD@example.com"), onetime.ErrSendLimited, "a send past the budget")
	if err := f.codes.ReserveSend(t.Context(), onetime.PurposeVerification, "email", "flood@example.com"); err != nil {
		t.Fatalf("another purpose: %v", err)
	}
}
