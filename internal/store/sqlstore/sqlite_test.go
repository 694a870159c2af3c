package sqlstore

import (
	"path/filepath"
	"testing"

	"github.com/portico-auth/portico/internal/store"
	"github.com/portico-auth/portico/internal/store/conformance"
)

func TestSQLiteFile(t *testing.T) {
	conformance.Run(t, func(t *testing.T) store.Store {
		return openMigrated(t, "sqlite://"+filepath.Join(t.TempDir(), "db.sqlite")+"?_fk=true")
	})
}

func TestSQLiteMemory(t *testing.T) {
	conformance.Run(t, func(t *testing.T) store.Store {
		return openMigrated(t, "memory")
	})
}

func TestSQLiteMemoryURL(t *testing.T) {
	// Kratos's spelling of an in-memory database; each Open is a database of its own.
	a := openMigrated(t, "sqlite://file::memory:?_fk=true")
	b := openMigrated(t, "sqlite://file::memory:?_fk=true")
	if _, err := a.PutValueIfAbsent(t.Context(), "k", "a"); err != nil {
		t.Fatal(err)
	}
	if v, err := b.PutValueIfAbsent(t.Context(), "k", "b"); err != nil || v != "b" {
		t.Fatalf("in-memory databases are shared: %q %v", v, err)
	}
}
