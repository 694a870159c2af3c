package conformance

import (
	"fmt"
	"testing"
	"time"

	"github.com/portico-auth/portico/internal/apierr"
	"github.com/portico-auth/portico/internal/session"
	"github.com/portico-auth/portico/internal/store"
)

// testIdentityDeleteManySessions: an identity with more sessions than one delete batch is
// deleted whole (its sessions in batches first), and another identity's sessions stay.
func testIdentityDeleteManySessions(t *testing.T, s store.Store) {
	a := create(t, s, "many-sessions@example.com")
	b := create(t, s, "bystander@example.com")
	for i := range 601 {
		createSession(t, s, a, fmt.Sprintf("many%d", i), base.Add(time.Duration(i)*time.Second))
	}
	kept := createSession(t, s, b, "bystander", base)
	must(t, s.DeleteIdentity(ctx(t), a.ID))
	_, err := s.GetIdentity(ctx(t), a.ID, false)
	wantKind(t, err, apierr.ErrNotFound)
	var left []*session.Session
	left, _, err = s.ListSessions(ctx(t), a.ID, nil, store.ListParams{PageSize: 1000})
	must(t, err)
	if len(left) != 0 {
		t.Errorf("%d sessions of the deleted identity left", len(left))
	}
	if _, err := s.GetSession(ctx(t), kept.ID); err != nil {
		t.Errorf("another identity's session: %v", err)
	}
	wantKind(t, s.DeleteIdentity(ctx(t), a.ID), apierr.ErrNotFound)
}
