package courier

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"

	"github.com/portico-auth/portico/internal/retry"
	"github.com/portico-auth/portico/internal/store"
)

// Outgoing is a message a channel delivers.
type Outgoing struct {
	ID           uuid.UUID
	Recipient    string
	TemplateType TemplateType
	// MessageType is Kratos's "email" or "phone".
	MessageType string
	Content
}

// Channel delivers messages of one channel id.
type Channel interface {
	// Send delivers m or returns why not; an error wrapped by Permanent will not get better
	// by retrying (a recipient the server refuses), any other is retried.
	Send(ctx context.Context, m Outgoing) error
}

// permanentError marks a failure that retrying will not fix.
type permanentError struct{ err error }

func (e permanentError) Error() string { return e.err.Error() }
func (e permanentError) Unwrap() error { return e.err }

// Permanent marks err as a failure that retrying will not fix.
func Permanent(err error) error { return permanentError{err} }

// IsPermanent reports whether err was marked by Permanent.
func IsPermanent(err error) bool {
	var p permanentError
	return errors.As(err, &p)
}

// Worker defaults.
const (
	DefaultRetries   = 5
	DefaultPullCount = 10
	DefaultPullWait  = time.Second
	// DefaultSendTimeout bounds one delivery.
	DefaultSendTimeout = 30 * time.Second
	// DefaultRetryBase and DefaultRetryMax shape the backoff: the n-th retry waits
	// base·2^(n-1), at most max.
	DefaultRetryBase = 10 * time.Second
	DefaultRetryMax  = 15 * time.Minute
	// maxErrorBytes bounds the error kept with a message.
	maxErrorBytes = 1000
)

// Worker delivers queued messages. Any number of workers may run on one database: each message
// is claimed by one of them at a time.
type Worker struct {
	Store    store.Messages
	Queue    *Queue
	Channels map[string]Channel
	Log      *slog.Logger
	Now      func() time.Time
	// Retries is courier.message_retries: failed attempts retried before a message is
	// abandoned (so at most Retries+1 attempts).
	Retries int
	// PullCount messages are claimed at a time; PullWait is the pause when none was due.
	PullCount int
	PullWait  time.Duration
	// SendTimeout bounds one delivery; a claim lasts long enough for one delivery with margin
	// (see lease), and a claimed message whose claim is about to lapse is not sent.
	SendTimeout         time.Duration
	RetryBase, RetryMax time.Duration
	// Dev logs each delivered message's type and recipient (never its content).
	Dev bool

	id uuid.UUID
}

func (w *Worker) defaults() {
	if w.id == uuid.Nil {
		w.id = uuid.New()
	}
	retry.Default(&w.PullCount, DefaultPullCount)
	retry.Default(&w.PullWait, DefaultPullWait)
	retry.Default(&w.SendTimeout, DefaultSendTimeout)
	retry.Default(&w.RetryBase, DefaultRetryBase)
	retry.Default(&w.RetryMax, DefaultRetryMax)
	if w.Log == nil {
		w.Log = slog.New(slog.DiscardHandler)
	}
}

// lease is how long a claim holds: a batch is sent one message after another, so it covers a
// whole batch's deliveries.
func (w *Worker) lease() time.Duration {
	return time.Duration(w.PullCount+1) * (w.SendTimeout + 5*time.Second)
}

// Run delivers messages until ctx ends. A message being sent then is finished (within
// SendTimeout) and recorded; the rest of the batch is left to its claim's lapse.
func (w *Worker) Run(ctx context.Context) error {
	w.defaults()
	w.Log.Info("courier: worker started", "worker", w.id)
	defer w.Log.Info("courier: worker stopped", "worker", w.id)
	for {
		n, err := w.Tick(ctx)
		if ctx.Err() != nil {
			return nil
		}
		if err != nil {
			w.Log.Warn("courier: cannot claim messages", "error", err)
		}
		if err == nil && n >= w.PullCount {
			continue // there may be more due right now
		}
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(w.PullWait):
		}
	}
}

// Tick claims the due messages (up to PullCount) and delivers them; it returns how many it
// claimed. It stops early when ctx ends.
func (w *Worker) Tick(ctx context.Context) (int, error) {
	w.defaults()
	now := w.Now()
	lease := w.lease()
	msgs, err := w.Store.ClaimMessages(ctx, w.id, now, lease, w.PullCount)
	if err != nil {
		return 0, err
	}
	deadline := now.Add(lease - w.SendTimeout - 5*time.Second)
	for _, m := range msgs {
		if ctx.Err() != nil || w.Now().After(deadline) {
			// Not sent: the claim lapses and another round (of any worker) takes it.
			break
		}
		w.deliver(context.WithoutCancel(ctx), m)
	}
	return len(msgs), nil
}

// deliver sends one claimed message and records the outcome.
func (w *Worker) deliver(ctx context.Context, m *store.Message) {
	err := w.send(ctx, m)
	now := w.Now()
	out := store.MessageOutcome{Status: store.MessageSent}
	if err != nil {
		out.Error = clip(err.Error())
		attempts := m.SendCount + 1
		switch {
		case IsPermanent(err) || attempts > w.Retries:
			out.Status = store.MessageAbandoned
		default:
			out.Status = store.MessageQueued
			out.RetryAt = now.Add(retry.Backoff(w.RetryBase, w.RetryMax, attempts))
		}
	}
	if ferr := w.Store.FinishMessage(ctx, m.ID, w.id, now, out); ferr != nil {
		w.Log.Warn("courier: cannot record a delivery", "message_id", m.ID, "error", ferr)
		return
	}
	attrs := []any{"message_id", m.ID, "template_type", m.TemplateType, "channel", m.Channel, "status", out.Status}
	if w.Dev {
		attrs = append(attrs, "recipient", m.Recipient)
	}
	if err != nil {
		w.Log.Warn("courier: delivery failed", append(attrs, "error", out.Error, "send_count", m.SendCount+1)...)
		return
	}
	w.Log.Info("courier: message sent", attrs...)
}

func (w *Worker) send(ctx context.Context, m *store.Message) error {
	ch := w.Channels[m.Channel]
	if ch == nil {
		return Permanent(fmt.Errorf("%w: %q", ErrNoChannel, m.Channel))
	}
	c, err := w.Queue.Open(m)
	if err != nil {
		return Permanent(err)
	}
	ctx, cancel := context.WithTimeout(ctx, w.SendTimeout)
	defer cancel()
	return ch.Send(ctx, Outgoing{ID: m.ID, Recipient: m.Recipient, TemplateType: TemplateType(m.TemplateType),
		MessageType: m.Type, Content: c})
}

// clip bounds an error kept with a message to one valid UTF-8 line.
func clip(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) <= maxErrorBytes {
		return s
	}
	s = s[:maxErrorBytes]
	for !utf8.ValidString(s) {
		s = s[:len(s)-1]
	}
	return s + "…"
}
