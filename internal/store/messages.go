package store

import (
	"context"
	"time"

	"github.com/google/uuid"
)

// Message statuses, as Kratos names them (courierMessageStatus).
const (
	MessageQueued     = "queued"
	MessageProcessing = "processing"
	MessageSent       = "sent"
	MessageAbandoned  = "abandoned"
)

// Dispatch statuses, as Kratos names them (messageDispatch.status).
const (
	DispatchFailed  = "failed"
	DispatchSuccess = "success"
)

// Message is one message in the courier's queue as stored. The store keeps Payload as it is
// given: the courier seals it, since a rendered message can hold a one-time code.
type Message struct {
	ID uuid.UUID
	// Type is Kratos's courierMessageType: "email" or "phone".
	Type string
	// Channel is the id of the channel that delivers it ("email", "sms", or another
	// courier.channels id).
	Channel      string
	Recipient    string
	TemplateType string
	Status       string
	SendCount    int
	// LastError is the last failed attempt's error, as the courier wrote it (never a secret).
	LastError string
	Payload   []byte
	// AvailableAt is when the message may next be claimed (see Messages.ClaimMessages).
	AvailableAt time.Time
	CreatedAt   time.Time
	UpdatedAt   time.Time
	// Dispatches are the attempts to send it, oldest first; only GetMessage loads them.
	Dispatches []MessageDispatch
}

// MessageDispatch is one attempt to send a message.
type MessageDispatch struct {
	ID        uuid.UUID
	MessageID uuid.UUID
	Status    string // DispatchFailed or DispatchSuccess
	Error     string // the attempt's error ("" on success)
	CreatedAt time.Time
	UpdatedAt time.Time
}

// MessageFilter narrows ListMessages; empty fields match every message.
type MessageFilter struct {
	Status    string
	Recipient string
}

// MessageOutcome is the result of one attempt to send a claimed message.
type MessageOutcome struct {
	// Status is the message's status after the attempt: MessageSent, MessageQueued (to be
	// tried again at RetryAt) or MessageAbandoned.
	Status string
	// Error is the attempt's error, "" when it was sent.
	Error string
	// RetryAt is when a message put back in the queue may be claimed again.
	RetryAt time.Time
}

// Messages is the courier's queue. A message is claimed before it is sent, and of any number of
// workers on the same database, each due message is claimed by exactly one.
type Messages interface {
	// EnqueueMessage stores m as queued and due at once: AvailableAt and UpdatedAt are set to
	// CreatedAt (the store's clock when zero), Status, SendCount and LastError reset; a zero ID
	// is filled in.
	EnqueueMessage(ctx context.Context, m *Message) error
	// GetMessage loads one message with its dispatches.
	GetMessage(ctx context.Context, id uuid.UUID) (*Message, error)
	// ListMessages returns a page of messages, newest first, and the next page's token
	// ("" = last page). A malformed token is an ErrBadRequest.
	ListMessages(ctx context.Context, f MessageFilter, p ListParams) ([]*Message, string, error)
	// ClaimMessages claims up to limit messages due at now, oldest due first: queued ones whose
	// AvailableAt has come, and processing ones whose earlier claim has lapsed (a worker that
	// stopped mid-send). A claimed message is processing, held by claim until now+lease; no
	// other call claims it meanwhile. The returned messages carry no dispatches.
	ClaimMessages(ctx context.Context, claim uuid.UUID, now time.Time, lease time.Duration, limit int) ([]*Message, error)
	// FinishMessage records one attempt to send message id under claim: a dispatch row, the
	// send count, the last error and the new status, in one transaction. When the claim is no
	// longer held (it lapsed and another worker claimed the message, or it was finished) it
	// changes nothing and returns ErrConflict.
	FinishMessage(ctx context.Context, id, claim uuid.UUID, now time.Time, out MessageOutcome) error
	// DeleteMessagesBefore deletes at most limit sent or abandoned messages created before t.
	DeleteMessagesBefore(ctx context.Context, t time.Time, limit int) (int, error)
}
