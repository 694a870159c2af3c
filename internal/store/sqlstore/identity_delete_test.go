package sqlstore

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/portico-auth/portico/internal/identity"
	"github.com/portico-auth/portico/internal/session"
)

// TestSQLiteIdentityDeleteLetsWritersIn: while an identity with 3,000 sessions is deleted on a
// SQLite file, another identity's writes keep completing: writes that start and finish inside
// the deletion's time. One cascading delete would hold the single writer throughout, so every
// write begun meanwhile would finish only after it.
func TestSQLiteIdentityDeleteLetsWritersIn(t *testing.T) {
	ctx := context.Background()
	s := openMigrated(t, "sqlite://"+filepath.Join(t.TempDir(), "db.sqlite"))
	mk := func(email string) *identity.Identity {
		id := &identity.Identity{SchemaID: "default", Traits: json.RawMessage(fmt.Sprintf(`{"email":%q}`, email))}
		if err := s.CreateIdentity(ctx, id); err != nil {
			t.Fatal(err)
		}
		return id
	}
	victim, other := mk("victim@example.org"), mk("other@example.org")
	sess := func(id *identity.Identity, n string) *session.Session {
		h := sha256.Sum256([]byte(n))
		return &session.Session{Active: true, IdentityID: id.ID, TokenHash: h[:], AAL: session.AAL1,
			ExpiresAt: time.Now().Add(time.Hour), Devices: []session.Device{{UserAgent: "a browser of some length"}}}
	}
	const sessions = 3000
	if err := s.inTx(ctx, func(tx q) error {
		for i := range sessions {
			ss := sess(victim, fmt.Sprint("victim", i))
			m, d, err := s.prepareSession(ss)
			if err != nil {
				return err
			}
			if err := s.insertSession(ctx, tx, ss, m, d); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}

	var (
		deleting atomic.Bool
		inside   atomic.Int64
		stop     atomic.Bool
		wg       sync.WaitGroup
	)
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := 0; !stop.Load(); i++ {
			began := deleting.Load()
			if err := s.CreateSession(ctx, sess(other, fmt.Sprint("other", i))); err != nil {
				t.Error(err)
				return
			}
			if began && deleting.Load() {
				inside.Add(1)
			}
		}
	}()
	time.Sleep(20 * time.Millisecond)
	deleting.Store(true)
	err := s.DeleteIdentity(ctx, victim.ID)
	deleting.Store(false)
	stop.Store(true)
	wg.Wait()
	if err != nil {
		t.Fatal(err)
	}
	var left int
	if err := s.rdb.QueryRow("SELECT COUNT(*) FROM sessions WHERE identity_id = ?", victim.ID).Scan(&left); err != nil || left != 0 {
		t.Fatalf("%d sessions left, %v", left, err)
	}
	t.Logf("%d writes completed inside the deletion of %d sessions", inside.Load(), sessions)
	// Measured: 935 with batches, 3 with one statement for all the sessions (the writes
	// that slip in between that statement and the identity's own delete).
	if inside.Load() < 10 {
		t.Fatalf("only %d writes completed while the identity was being deleted: the deletion held the writer", inside.Load())
	}
}

// TestIdentityDeletePacesBatches: the batches of an identity's sessions shrink when one holds
// the writer longer than the target (down to identityDeleteMin) and stay at the largest size
// when they are quick; either way every session and the identity go.
func TestIdentityDeletePacesBatches(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name   string
		target time.Duration
		want   []int
	}{
		{"every batch too slow", time.Nanosecond, []int{250, 125, 62, 31, 15, 10, 10}},
		{"every batch quick", time.Hour, []int{250, 250, 250}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := openMigrated(t, "sqlite://"+filepath.Join(t.TempDir(), "db.sqlite"))
			s.deleteTarget = tc.target
			id := &identity.Identity{SchemaID: "default", Traits: json.RawMessage(`{"email":"paced@example.org"}`)}
			if err := s.CreateIdentity(ctx, id); err != nil {
				t.Fatal(err)
			}
			total := 0
			for _, n := range tc.want {
				total += n
			}
			total-- // the last batch finds fewer than it asks for, and ends the loop
			for i := range total {
				h := sha256.Sum256(fmt.Appendf(nil, "paced-%d", i))
				if err := s.CreateSession(ctx, &session.Session{Active: true, IdentityID: id.ID, TokenHash: h[:], AAL: session.AAL1,
					ExpiresAt: time.Now().Add(time.Hour)}); err != nil {
					t.Fatal(err)
				}
			}
			var limits []int
			limit := regexp.MustCompile(`FROM sessions WHERE identity_id = \? ORDER BY issued_at LIMIT (\d+)`)
			s.record = func(query string, _ []any) {
				if m := limit.FindStringSubmatch(query); m != nil {
					n, _ := strconv.Atoi(m[1])
					limits = append(limits, n)
				}
			}
			err := s.DeleteIdentity(ctx, id.ID)
			s.record = nil
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(limits, tc.want) {
				t.Errorf("batch sizes %v, want %v", limits, tc.want)
			}
			var left int
			if err := s.rdb.QueryRow("SELECT COUNT(*) FROM sessions").Scan(&left); err != nil || left != 0 {
				t.Errorf("%d sessions left, %v", left, err)
			}
			if _, err := s.GetIdentity(ctx, id.ID, false); err == nil {
				t.Error("the identity is still there")
			}
		})
	}
}
