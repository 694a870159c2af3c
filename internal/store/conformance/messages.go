package conformance

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/portico-auth/portico/internal/apierr"
	"github.com/portico-auth/portico/internal/store"
)

func enqueue(t *testing.T, s store.Store, to string, at time.Time) *store.Message {
	t.Helper()
	m := &store.Message{Type: "email", Channel: "email", Recipient: to, TemplateType: "verification_code_valid",
		Payload: []byte("sealed:" + to), CreatedAt: at}
	must(t, s.EnqueueMessage(ctx(t), m))
	return m
}

func testMessagesQueue(t *testing.T, s store.Store) {
	a := enqueue(t, s, "a@example.com", base)
	b := enqueue(t, s, "b@example.com", base.Add(time.Second))
	c := enqueue(t, s, "a@example.com", base.Add(2*time.Second))

	got, err := s.GetMessage(ctx(t), a.ID)
	must(t, err)
	if got.Recipient != "a@example.com" || got.Type != "email" || got.Channel != "email" ||
		got.TemplateType != "verification_code_valid" || string(got.Payload) != "sealed:a@example.com" ||
		got.Status != store.MessageQueued || got.SendCount != 0 || got.LastError != "" || len(got.Dispatches) != 0 {
		t.Fatalf("GetMessage = %+v", got)
	}
	sameTime(t, "created_at", got.CreatedAt, base)
	sameTime(t, "available_at", got.AvailableAt, base)
	_, err = s.GetMessage(ctx(t), uuid.New())
	wantKind(t, err, apierr.ErrNotFound)

	ids := func(ms []*store.Message) string {
		out := ""
		for _, m := range ms {
			out += m.Recipient[:1]
		}
		return out
	}
	all, next, err := s.ListMessages(ctx(t), store.MessageFilter{}, store.ListParams{})
	must(t, err)
	if ids(all) != "aba" || next != "" || all[0].ID != c.ID || all[2].ID != a.ID {
		t.Fatalf("ListMessages newest first = %q (next %q)", ids(all), next)
	}
	page, next, err := s.ListMessages(ctx(t), store.MessageFilter{}, store.ListParams{PageSize: 2})
	must(t, err)
	if len(page) != 2 || page[0].ID != c.ID || page[1].ID != b.ID || next == "" {
		t.Fatalf("first page = %q next %q", ids(page), next)
	}
	page, next, err = s.ListMessages(ctx(t), store.MessageFilter{}, store.ListParams{PageSize: 2, PageToken: next})
	must(t, err)
	if len(page) != 1 || page[0].ID != a.ID || next != "" {
		t.Fatalf("second page = %q next %q", ids(page), next)
	}
	byTo, _, err := s.ListMessages(ctx(t), store.MessageFilter{Recipient: "a@example.com"}, store.ListParams{})
	must(t, err)
	if len(byTo) != 2 || byTo[0].ID != c.ID || byTo[1].ID != a.ID {
		t.Fatalf("recipient filter = %d messages", len(byTo))
	}
	sent, _, err := s.ListMessages(ctx(t), store.MessageFilter{Status: store.MessageSent}, store.ListParams{})
	must(t, err)
	if len(sent) != 0 {
		t.Fatalf("status filter sent = %d messages before any was sent", len(sent))
	}
	for _, tok := range []string{"x", "!!!", "MTIz"} {
		_, _, err = s.ListMessages(ctx(t), store.MessageFilter{}, store.ListParams{PageToken: tok})
		wantKind(t, err, apierr.ErrBadRequest)
	}
}

func testMessagesClaimFinish(t *testing.T, s store.Store) {
	const lease = time.Minute
	a := enqueue(t, s, "a@example.com", base)
	b := enqueue(t, s, "b@example.com", base.Add(time.Second))
	w1, w2 := uuid.New(), uuid.New()

	// Nothing is due before it was queued.
	got, err := s.ClaimMessages(ctx(t), w1, base.Add(-time.Second), lease, 10)
	must(t, err)
	if len(got) != 0 {
		t.Fatalf("claimed %d messages before they were due", len(got))
	}
	got, err = s.ClaimMessages(ctx(t), w1, base.Add(time.Second), lease, 1)
	must(t, err)
	if len(got) != 1 || got[0].ID != a.ID || got[0].Status != store.MessageProcessing || string(got[0].Payload) != "sealed:a@example.com" {
		t.Fatalf("first claim = %+v, want a (oldest due first)", got)
	}
	// A held claim is not claimed again; the other due message is.
	got, err = s.ClaimMessages(ctx(t), w2, base.Add(2*time.Second), lease, 10)
	must(t, err)
	if len(got) != 1 || got[0].ID != b.ID {
		t.Fatalf("second claim = %d messages, want only b", len(got))
	}
	// A failed attempt puts a back in the queue until its retry time.
	at := base.Add(10 * time.Second)
	retry := at.Add(5 * time.Minute)
	must(t, s.FinishMessage(ctx(t), a.ID, w1, at, store.MessageOutcome{
		Status: store.MessageQueued, Error: "dial tcp: connection refused", RetryAt: retry}))
	// Finishing twice is refused: the first finish released the claim.
	err = s.FinishMessage(ctx(t), a.ID, w1, at, store.MessageOutcome{Status: store.MessageSent})
	wantKind(t, err, apierr.ErrConflict)

	// w2 died holding b: once its lease lapses, w1 takes b over, and w2 can no longer finish it.
	lapsed := base.Add(2*time.Second + lease)
	got, err = s.ClaimMessages(ctx(t), w1, lapsed, lease, 10)
	must(t, err)
	if len(got) != 1 || got[0].ID != b.ID {
		t.Fatalf("claim after the lease = %d messages, want b", len(got))
	}
	err = s.FinishMessage(ctx(t), b.ID, w2, lapsed, store.MessageOutcome{Status: store.MessageSent})
	wantKind(t, err, apierr.ErrConflict)
	must(t, s.FinishMessage(ctx(t), b.ID, w1, lapsed, store.MessageOutcome{Status: store.MessageAbandoned, Error: "550 no such user"}))

	got, err = s.ClaimMessages(ctx(t), w2, retry.Add(-time.Second), lease, 10)
	must(t, err)
	if len(got) != 0 {
		t.Fatalf("claimed %d messages before their retry time", len(got))
	}
	got, err = s.ClaimMessages(ctx(t), w2, retry, lease, 10)
	must(t, err)
	if len(got) != 1 || got[0].ID != a.ID || got[0].SendCount != 1 || got[0].LastError != "dial tcp: connection refused" {
		t.Fatalf("claim at the retry time = %+v", got)
	}
	must(t, s.FinishMessage(ctx(t), a.ID, w2, retry.Add(time.Second), store.MessageOutcome{Status: store.MessageSent}))

	m, err := s.GetMessage(ctx(t), a.ID)
	must(t, err)
	if m.Status != store.MessageSent || m.SendCount != 2 || m.LastError != "dial tcp: connection refused" || len(m.Dispatches) != 2 ||
		m.Dispatches[0].Status != store.DispatchFailed || m.Dispatches[0].Error != "dial tcp: connection refused" ||
		m.Dispatches[1].Status != store.DispatchSuccess || m.Dispatches[1].Error != "" || m.Dispatches[1].MessageID != a.ID {
		t.Fatalf("sent message = %+v", m)
	}
	sameTime(t, "dispatch created_at", m.Dispatches[0].CreatedAt, at)
	m, err = s.GetMessage(ctx(t), b.ID)
	must(t, err)
	if m.Status != store.MessageAbandoned || m.SendCount != 1 || m.LastError != "550 no such user" {
		t.Fatalf("abandoned message = %+v", m)
	}
	// Sent and abandoned messages are never claimed again.
	got, err = s.ClaimMessages(ctx(t), w1, at.Add(time.Hour), lease, 10)
	must(t, err)
	if len(got) != 0 {
		t.Fatalf("claimed %d finished messages", len(got))
	}
	sent, _, err := s.ListMessages(ctx(t), store.MessageFilter{Status: store.MessageSent}, store.ListParams{})
	must(t, err)
	if len(sent) != 1 || sent[0].ID != a.ID {
		t.Fatalf("status filter sent = %d messages", len(sent))
	}

	// Cleanup deletes finished messages only, with their dispatches.
	c := enqueue(t, s, "c@example.com", base.Add(time.Minute))
	n, err := s.DeleteMessagesBefore(ctx(t), base.Add(time.Hour), 0)
	must(t, err)
	if n != 2 {
		t.Fatalf("DeleteMessagesBefore deleted %d, want the sent and the abandoned one", n)
	}
	_, err = s.GetMessage(ctx(t), a.ID)
	wantKind(t, err, apierr.ErrNotFound)
	_, err = s.GetMessage(ctx(t), c.ID)
	must(t, err)
}

// testMessagesConcurrentClaim races workers over one queue: every message is claimed by
// exactly one of them, however they interleave.
func testMessagesConcurrentClaim(t *testing.T, s store.Store) {
	const messages, workers = 120, 8
	for i := range messages {
		enqueue(t, s, fmt.Sprintf("u%d@example.com", i), base)
	}
	now := base.Add(time.Second)
	var (
		mu      sync.Mutex
		claimed = map[uuid.UUID]int{}
	)
	concurrently(t, workers, func() (bool, error) {
		w := uuid.New()
		for {
			got, err := s.ClaimMessages(ctx(t), w, now, time.Hour, 5)
			if err != nil || len(got) == 0 {
				return true, err
			}
			for _, m := range got {
				if err := s.FinishMessage(ctx(t), m.ID, w, now, store.MessageOutcome{Status: store.MessageSent}); err != nil {
					return false, err
				}
				mu.Lock()
				claimed[m.ID]++
				mu.Unlock()
			}
		}
	})
	if len(claimed) != messages {
		t.Fatalf("%d of %d messages were claimed", len(claimed), messages)
	}
	for id, n := range claimed {
		if n != 1 {
			t.Fatalf("message %s was claimed %d times", id, n)
		}
	}
	sent, _, err := s.ListMessages(ctx(t), store.MessageFilter{Status: store.MessageSent}, store.ListParams{PageSize: 1000})
	must(t, err)
	if len(sent) != messages {
		t.Fatalf("%d messages sent, want %d", len(sent), messages)
	}
	for _, m := range sent {
		if m.SendCount != 1 {
			t.Fatalf("message %s has send_count %d", m.ID, m.SendCount)
		}
	}
}
