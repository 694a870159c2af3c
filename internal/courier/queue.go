package courier

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"

	"github.com/portico-auth/portico/internal/seal"
	"github.com/portico-auth/portico/internal/store"
)

// PurposeMessage is the seal purpose of a queued message's content.
const PurposeMessage = "portico courier message"

// maxRecipientBytes bounds a recipient (an email address is at most 320 bytes; a phone number
// far less).
const maxRecipientBytes = 320

// ErrNoChannel is returned for a message to a channel that is not configured (an SMS without
// a courier.channels entry with id sms).
var ErrNoChannel = errors.New("courier: no such channel is configured")

// Queue renders messages and puts them in the database's queue. It is safe for concurrent use.
type Queue struct {
	store     store.Messages
	templates *Templates
	sealer    *seal.Sealer
	channels  map[string]bool
	now       func() time.Time
	log       *slog.Logger
	dev       bool
}

// QueueOptions builds a Queue.
type QueueOptions struct {
	Store     store.Messages
	Templates *Templates
	// Secrets seal message content at rest (secrets.cipher, then the cookie secrets): the
	// first seals, all open.
	Secrets []string
	// Channels are the ids of the configured channels ("email" always works: SMTP).
	Channels []string
	Now      func() time.Time
	Log      *slog.Logger
	// Dev logs the type and recipient of every queued message (never its content).
	Dev bool
}

// NewQueue returns a Queue.
func NewQueue(o QueueOptions) *Queue {
	ch := map[string]bool{ChannelEmail: true}
	for _, c := range o.Channels {
		ch[c] = true
	}
	return &Queue{store: o.Store, templates: o.Templates, sealer: seal.New(PurposeMessage, o.Secrets),
		channels: ch, now: o.Now, log: o.Log, dev: o.Dev}
}

// Prepare renders r and returns the message to store, sealed, without storing it: a store
// method that writes something else in a transaction queues it there (see
// sqlstore's enqueueMessage), so that the message exists exactly when the rest does.
func (q *Queue) Prepare(r Request) (*store.Message, error) {
	if r.Channel == "" {
		r.Channel = ChannelEmail
	}
	if !r.Template.Valid() {
		return nil, fmt.Errorf("courier: unknown template type %q", r.Template)
	}
	if !q.channels[r.Channel] {
		return nil, fmt.Errorf("%w: %q", ErrNoChannel, r.Channel)
	}
	if r.To == "" || len(r.To) > maxRecipientBytes || !utf8.ValidString(r.To) || strings.ContainsAny(r.To, "\x00\r\n") {
		return nil, fmt.Errorf("courier: invalid recipient")
	}
	if r.Data.To == "" {
		r.Data.To = r.To
	}
	c, err := q.templates.Render(r.Template, r.Channel, r.Data)
	if err != nil {
		return nil, err
	}
	m := &store.Message{ID: uuid.New(), Type: messageType(r.Channel), Channel: r.Channel, Recipient: r.To,
		TemplateType: string(r.Template), CreatedAt: q.now()}
	plain, err := json.Marshal(c)
	if err != nil {
		return nil, fmt.Errorf("courier: encode message: %w", err)
	}
	sealed, err := q.sealer.Seal(plain, m.ID[:])
	if err != nil {
		return nil, fmt.Errorf("courier: seal message: %w", err)
	}
	m.Payload = []byte(sealed)
	return m, nil
}

// Enqueue renders r and queues it on its own.
func (q *Queue) Enqueue(ctx context.Context, r Request) (*store.Message, error) {
	m, err := q.Prepare(r)
	if err != nil {
		return nil, err
	}
	if err := q.store.EnqueueMessage(ctx, m); err != nil {
		return nil, err
	}
	q.Queued(ctx, m)
	return m, nil
}

// Queued logs a message queued through Prepare (Enqueue does it itself): in dev mode its type
// and recipient, so a developer sees mail go out; never its content.
func (q *Queue) Queued(ctx context.Context, m *store.Message) {
	if q.dev && q.log != nil {
		q.log.InfoContext(ctx, "courier: message queued", "message_id", m.ID, "template_type", m.TemplateType,
			"channel", m.Channel, "recipient", m.Recipient)
	}
}

// Open returns a stored message's content.
func (q *Queue) Open(m *store.Message) (Content, error) {
	plain, err := q.sealer.Open(string(m.Payload), m.ID[:])
	if err != nil {
		return Content{}, fmt.Errorf("courier: open message %s: %w", m.ID, err)
	}
	var c Content
	if err := json.Unmarshal(plain, &c); err != nil {
		return Content{}, fmt.Errorf("courier: decode message %s: %w", m.ID, err)
	}
	return c, nil
}
