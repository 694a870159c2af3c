// Package sqlstoretest gives a test a private, migrated SQLite database in memory: the real SQL
// of package sqlstore, never a fake, closed when the test ends. Only tests import it.
package sqlstoretest

import (
	"context"
	"testing"

	"github.com/portico-auth/portico/internal/store/sqlstore"
)

// Memory opens and migrates a new in-memory SQLite store for t.
func Memory(t testing.TB) *sqlstore.Store {
	t.Helper()
	st, err := sqlstore.Open(context.Background(), "memory")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	if err := st.MigrateUp(context.Background(), nil); err != nil {
		t.Fatal(err)
	}
	return st
}
