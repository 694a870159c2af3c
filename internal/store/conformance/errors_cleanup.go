package conformance

import (
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/portico-auth/portico/internal/apierr"
	"github.com/portico-auth/portico/internal/store"
)

// testErrorsDeleteBefore: stored self-service errors are deleted by age in bounded batches,
// and a recent one is kept.
func testErrorsDeleteBefore(t *testing.T, s store.Store) {
	ids := []uuid.UUID{uuid.New(), uuid.New(), uuid.New()}
	for _, id := range ids {
		must(t, s.CreateError(ctx(t), id, []byte(`{"code":400}`)))
	}
	n, err := s.DeleteErrorsBefore(ctx(t), time.Now().Add(-time.Hour), 10)
	must(t, err)
	if n != 0 {
		t.Fatalf("deleted %d errors created after the cutoff", n)
	}
	later := time.Now().Add(time.Hour)
	n, err = s.DeleteErrorsBefore(ctx(t), later, 2)
	must(t, err)
	if n != 2 {
		t.Fatalf("a batch of 2 deleted %d", n)
	}
	n, err = s.DeleteErrorsBefore(ctx(t), later, 0)
	must(t, err)
	if n != 1 {
		t.Fatalf("the unlimited delete removed %d, want the last 1", n)
	}
	for _, id := range ids {
		_, err := s.GetError(ctx(t), id)
		wantKind(t, err, apierr.ErrNotFound)
	}
}
