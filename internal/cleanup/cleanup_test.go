package cleanup

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"
)

// fakeStore has a number of expired rows per table and records the cutoffs it was given.
type fakeStore struct {
	deleted, flows, sessions, failures, errors, messages, events int
	cutoffs                                                      map[string]time.Time
	fail                                                         error
}

func take(left *int, limit int) int {
	n := min(*left, limit)
	*left -= n
	return n
}

func (f *fakeStore) PurgeDeletedIdentities(_ context.Context, t time.Time, limit int) (int, error) {
	f.cutoffs["deleted"] = t
	return take(&f.deleted, limit), nil
}

func (f *fakeStore) DeleteFlowsExpiredBefore(_ context.Context, t time.Time, limit int) (int, error) {
	if f.fail != nil {
		return 0, f.fail
	}
	f.cutoffs["flows"] = t
	return take(&f.flows, limit), nil
}

func (f *fakeStore) DeleteSessionsExpiredBefore(_ context.Context, t time.Time, limit int) (int, error) {
	f.cutoffs["sessions"] = t
	return take(&f.sessions, limit), nil
}

func (f *fakeStore) DeleteFailuresBefore(_ context.Context, t time.Time, limit int) (int, error) {
	f.cutoffs["failures"] = t
	return take(&f.failures, limit), nil
}

func (f *fakeStore) DeleteErrorsBefore(_ context.Context, t time.Time, limit int) (int, error) {
	f.cutoffs["errors"] = t
	return take(&f.errors, limit), nil
}

func (f *fakeStore) DeleteMessagesBefore(_ context.Context, t time.Time, limit int) (int, error) {
	f.cutoffs["messages"] = t
	return take(&f.messages, limit), nil
}

func (f *fakeStore) DeleteEventsBefore(_ context.Context, t time.Time, limit int) (int, error) {
	f.cutoffs["events"] = t
	return take(&f.events, limit), nil
}

func TestRun(t *testing.T) {
	now := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
	st := &fakeStore{deleted: 14, flows: 25, sessions: 3, failures: 2, errors: 12, messages: 4, events: 7, cutoffs: map[string]time.Time{}}
	var batches, dones int
	c, err := Run(context.Background(), st, now, Default, 10, func(table string, deleted int, done bool) {
		batches++
		if done {
			dones++
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	if c != (Counts{DeletedIdentities: 14, Flows: 25, Sessions: 3, LoginFailures: 2, Errors: 12, Messages: 4, Events: 7}) {
		t.Fatalf("counts %+v", c)
	}
	if batches != 11 || dones != 7 {
		t.Fatalf("progress called %d times (%d done), want 11 (7 done)", batches, dones)
	}
	if st.cutoffs["deleted"] != now || st.cutoffs["flows"] != now.Add(-time.Hour) || st.cutoffs["sessions"] != now.Add(-24*time.Hour) || st.cutoffs["failures"] != now.Add(-24*time.Hour) || st.cutoffs["errors"] != now.Add(-time.Hour) ||
		st.cutoffs["messages"] != now.Add(-7*24*time.Hour) || st.cutoffs["events"] != now.Add(-90*24*time.Hour) {
		t.Fatalf("cutoffs %v", st.cutoffs)
	}
}

func TestRunStopsOnError(t *testing.T) {
	st := &fakeStore{fail: errors.New("boom"), cutoffs: map[string]time.Time{}}
	if _, err := Run(context.Background(), st, time.Now(), Default, 10, nil); err == nil {
		t.Fatal("no error from a failing store")
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := Run(ctx, &fakeStore{flows: 5, cutoffs: map[string]time.Time{}}, time.Now(), Default, 1, nil); !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled run: %v", err)
	}
}

func TestPaced(t *testing.T) {
	tests := []struct {
		size, max int
		took      time.Duration
		want      int
	}{
		{500, 500, 100 * time.Millisecond, 250},
		{20, 500, time.Second, minBatch},
		{minBatch, 500, time.Second, minBatch},
		{5, 5, time.Second, 5},
		{100, 500, time.Millisecond, 200},
		{400, 500, time.Millisecond, 500},
		{100, 500, BatchTarget * 3 / 4, 100},
	}
	for _, tc := range tests {
		if got := paced(tc.size, tc.max, tc.took); got != tc.want {
			t.Errorf("paced(%d, %d, %s) = %d, want %d", tc.size, tc.max, tc.took, got, tc.want)
		}
	}
}

// fakeClock stands in for Run's clock and rests (clockNow, restFor): time moves only when a
// batch "takes" it or Run rests, and every move is recorded.
type fakeClock struct {
	now   time.Time
	rests []time.Duration
}

func (c *fakeClock) rest(_ context.Context, d time.Duration) error {
	c.rests = append(c.rests, d)
	c.now = c.now.Add(d)
	return nil
}

// useFakeClock makes Run use a fake clock until the test ends.
func useFakeClock(t *testing.T) *fakeClock {
	c := &fakeClock{now: time.Date(2026, 12, 6, 12, 0, 0, 0, time.UTC)}
	prevNow, prevRest := clockNow, restFor
	clockNow, restFor = func() time.Time { return c.now }, c.rest
	t.Cleanup(func() { clockNow, restFor = prevNow, prevRest })
	return c
}

// slowStore is a single-writer fakeStore whose session deletes each take a while on a fake
// clock and record when they began and ended.
type slowStore struct {
	fakeStore
	clock       *fakeClock
	took        []time.Duration // one per batch, the last repeated
	starts, end []time.Time
}

func (s *slowStore) SingleWriter() bool { return true }

func (s *slowStore) DeleteSessionsExpiredBefore(ctx context.Context, t time.Time, limit int) (int, error) {
	s.starts = append(s.starts, s.clock.now)
	s.clock.now = s.clock.now.Add(s.took[min(len(s.starts), len(s.took))-1])
	s.end = append(s.end, s.clock.now)
	return s.fakeStore.DeleteSessionsExpiredBefore(ctx, t, limit)
}

// TestRunRestsOnSingleWriter: on a single-writer store each batch is followed by a rest of
// RestFactor (3) times its own length before the next one begins, so other writers get three
// quarters of the writer; the batches' lengths differ, and each rest follows its own batch's. On a fake clock:
// the rests are exact, whatever else the machine runs.
func TestRunRestsOnSingleWriter(t *testing.T) {
	clk := useFakeClock(t)
	// 15-20 ms is between BatchTarget/2 and BatchTarget, so the batch size stays 10: four batches.
	took := []time.Duration{15 * time.Millisecond, 20 * time.Millisecond, 13 * time.Millisecond, 18 * time.Millisecond}
	st := &slowStore{fakeStore: fakeStore{sessions: 35, cutoffs: map[string]time.Time{}}, clock: clk, took: took}
	c, err := Run(context.Background(), st, clk.now, Default, 10, nil)
	if err != nil || c.Sessions != 35 {
		t.Fatalf("cleanup: %+v, %v", c, err)
	}
	if len(st.starts) != 4 {
		t.Fatalf("%d batches, want 4", len(st.starts))
	}
	// A rest after each full batch (the last, short one ends the table); the other tables have
	// nothing to delete, so they rest never.
	if want := []time.Duration{45 * time.Millisecond, 60 * time.Millisecond, 39 * time.Millisecond}; !slices.Equal(clk.rests, want) {
		t.Fatalf("rests %v, want three times each batch's length %v", clk.rests, want)
	}
	for i := 1; i < len(st.starts); i++ {
		if rest := st.starts[i].Sub(st.end[i-1]); rest != 3*took[i-1] {
			t.Errorf("batch %d took %s and was followed by a rest of %s, want %s", i, took[i-1], rest, 3*took[i-1])
		}
	}
}

// sharedSlowStore is a slowStore on a database with many writers.
type sharedSlowStore struct{ slowStore }

func (s *sharedSlowStore) SingleWriter() bool { return false }

// TestRunRestsAsLongOnManyWriters: on a store with more than one writer each batch is followed
// by a rest as long as itself (SharedRestFactor), not three times as long.
func TestRunRestsAsLongOnManyWriters(t *testing.T) {
	clk := useFakeClock(t)
	took := []time.Duration{15 * time.Millisecond, 20 * time.Millisecond, 13 * time.Millisecond, 18 * time.Millisecond}
	st := &sharedSlowStore{slowStore{fakeStore: fakeStore{sessions: 35, cutoffs: map[string]time.Time{}}, clock: clk, took: took}}
	if c, err := Run(context.Background(), st, clk.now, Default, 10, nil); err != nil || c.Sessions != 35 {
		t.Fatalf("cleanup: %+v, %v", c, err)
	}
	if want := []time.Duration{15 * time.Millisecond, 20 * time.Millisecond, 13 * time.Millisecond}; !slices.Equal(clk.rests, want) {
		t.Fatalf("rests %v, want each batch's length %v", clk.rests, want)
	}
}
