package cleanup_test

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/portico-auth/portico/internal/cleanup"
	"github.com/portico-auth/portico/internal/identity"
	"github.com/portico-auth/portico/internal/session"
	"github.com/portico-auth/portico/internal/store/sqlstore/sqlstoretest"
)

// TestRunFinishesDeletedIdentities: an identity deletion interrupted after its first step
// (the tombstone: the identity is gone for every reader) left 25 sessions and the row; the
// cleanup removes them in its paced batches (of 10 here), and another identity's session stays.
func TestRunFinishesDeletedIdentities(t *testing.T) {
	ctx := context.Background()
	st := sqlstoretest.Memory(t)
	mk := func(email string) *identity.Identity {
		id := &identity.Identity{SchemaID: "default", Traits: json.RawMessage(fmt.Sprintf(`{"email":%q}`, email))}
		if err := st.CreateIdentity(ctx, id); err != nil {
			t.Fatal(err)
		}
		return id
	}
	sess := func(id *identity.Identity, tok string) *session.Session {
		h := sha256.Sum256([]byte(tok))
		ss := &session.Session{Active: true, IdentityID: id.ID, TokenHash: h[:], AAL: session.AAL1, ExpiresAt: time.Now().Add(time.Hour)}
		if err := st.CreateSession(ctx, ss); err != nil {
			t.Fatal(err)
		}
		return ss
	}
	gone, kept := mk("gone@example.org"), mk("kept@example.org")
	for i := range 25 {
		sess(gone, fmt.Sprint("gone", i))
	}
	keptSession := sess(kept, "kept")
	if err := st.MarkIdentityDeleted(ctx, gone.ID); err != nil {
		t.Fatal(err)
	}
	c, err := cleanup.Run(ctx, st, time.Now(), cleanup.Default, 10, nil)
	if err != nil || c.DeletedIdentities != 26 {
		t.Fatalf("cleanup: %+v, %v; want 26 rows of the deleted identity (25 sessions and the row)", c, err)
	}
	if n, err := st.PurgeDeletedIdentities(ctx, time.Now(), 0); err != nil || n != 0 {
		t.Fatalf("%d rows left after the cleanup (%v)", n, err)
	}
	if _, err := st.GetSession(ctx, keptSession.ID); err != nil {
		t.Fatalf("another identity's session: %v", err)
	}
}
