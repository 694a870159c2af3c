package sqlstore

import (
	"regexp"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/portico-auth/portico/internal/store"
	"github.com/portico-auth/portico/internal/store/conformance"
)

// identitiesTable matches a statement that names the identities table (not identity_… tables).
var identitiesTable = regexp.MustCompile(`(?i)\bidentities\b`)

// TestEveryIdentityStatementIsLive runs the conformance suite on SQLite with every statement
// recorded and checks the one rule of deleted identities: each statement that reads, updates
// or deletes identities names deleted_at (liveIdentity, or the tombstone's own statements),
// so a tombstoned identity is gone for every read and write. A new query on identities
// without the rule fails here.
func TestEveryIdentityStatementIsLive(t *testing.T) {
	var (
		mu   sync.Mutex
		seen = map[string]bool{}
	)
	conformance.Run(t, func(t *testing.T) store.Store {
		s := openMigrated(t, "sqlite://:memory:")
		s.record = func(query string, _ []any) {
			if !identitiesTable.MatchString(query) {
				return
			}
			mu.Lock()
			seen[query] = true
			mu.Unlock()
		}
		return s
	})
	var bad, all []string
	for q := range seen {
		all = append(all, q)
		if strings.HasPrefix(strings.TrimSpace(q), "INSERT INTO identities ") {
			continue
		}
		if !strings.Contains(q, "deleted_at") {
			bad = append(bad, q)
		}
	}
	sort.Strings(bad)
	for _, q := range bad {
		t.Errorf("a statement on identities without the rule of deleted identities (liveIdentity):\n%s", q)
	}
	// Reads by id, identifier and address, lists, session reads, updates, locks, deletion.
	if len(all) < 15 {
		t.Errorf("only %d statements on identities recorded: the suite did not run them", len(all))
	}
}
