package sqlstore

import (
	"context"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/portico-auth/portico/internal/identity"
	"github.com/portico-auth/portico/internal/store"
)

// TestUpdateIdentityWithStored: an update given the identity as read at its version
// (IdentityWrites.Stored) reads no child rows in its transaction; one given a copy of another
// version (stale) is not trusted, and the child rows are read again.
func TestUpdateIdentityWithStored(t *testing.T) {
	ctx := context.Background()
	s := openMigrated(t, "sqlite://"+filepath.Join(t.TempDir(), "db.sqlite"))
	id := &identity.Identity{SchemaID: "default", Traits: json.RawMessage(`{"email":"stored@example.org"}`)}
	if err := s.CreateIdentity(ctx, id); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name      string
		stale     bool
		wantReads bool
	}{
		{"stored at this version", false, false},
		{"stored at another version", true, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cur, err := s.GetIdentity(ctx, id.ID, true)
			if err != nil {
				t.Fatal(err)
			}
			stored := cur.Clone()
			if tc.stale {
				stored.Version--
			}
			cur.MetadataPublic = json.RawMessage(`{"n":"` + tc.name + `"}`)
			reads := 0
			s.record = func(query string, _ []any) {
				if strings.Contains(query, "SELECT") && strings.Contains(query, "FROM identity_credentials") {
					reads++
				}
			}
			err = s.UpdateIdentityWith(ctx, cur, store.IdentityWrites{Stored: stored})
			s.record = nil
			if err != nil {
				t.Fatal(err)
			}
			if got := reads > 0; got != tc.wantReads {
				t.Errorf("%d reads of the credentials, want reads: %v", reads, tc.wantReads)
			}
		})
	}
}
