package admin

import (
	"encoding/json"
	"net/http"
	"slices"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"

	"github.com/portico-auth/portico/internal/apierr"
	"github.com/portico-auth/portico/internal/courier"
	"github.com/portico-auth/portico/internal/httpx"
	"github.com/portico-auth/portico/internal/store"
)

// CourierHandler serves Kratos's courier admin API: listCourierMessages and getCourierMessage.
type CourierHandler struct {
	store store.Messages
	queue *courier.Queue
}

// NewCourierHandler returns the handler; queue opens the sealed content of messages.
func NewCourierHandler(st store.Messages, queue *courier.Queue) *CourierHandler {
	return &CourierHandler{store: st, queue: queue}
}

// Register adds the courier routes to the admin mux.
func (h *CourierHandler) Register(mux *http.ServeMux) {
	mux.Handle("GET /admin/courier/messages", httpx.HandlerFunc(h.list))
	mux.Handle("GET /admin/courier/messages/{id}", httpx.HandlerFunc(h.get))
}

// messageJSON is Kratos's message schema.
type messageJSON struct {
	ID           uuid.UUID      `json:"id"`
	Status       string         `json:"status"`
	Type         string         `json:"type"`
	Recipient    string         `json:"recipient"`
	Body         string         `json:"body"`
	Subject      string         `json:"subject"`
	TemplateType string         `json:"template_type"`
	SendCount    int            `json:"send_count"`
	Channel      string         `json:"channel"`
	Dispatches   []dispatchJSON `json:"dispatches,omitempty"`
	CreatedAt    time.Time      `json:"created_at"`
	UpdatedAt    time.Time      `json:"updated_at"`
}

// dispatchJSON is Kratos's messageDispatch schema; error is a JSON object.
type dispatchJSON struct {
	ID        uuid.UUID       `json:"id"`
	MessageID uuid.UUID       `json:"message_id"`
	Status    string          `json:"status"`
	Error     json.RawMessage `json:"error,omitempty"`
	CreatedAt time.Time       `json:"created_at"`
	UpdatedAt time.Time       `json:"updated_at"`
}

// view renders a stored message. The body and subject are opened from the sealed content (the
// admin API shows them, as Kratos's does); a message that no configured secret opens any more
// (the secrets were rotated out) is shown without them.
func (h *CourierHandler) view(m *store.Message) messageJSON {
	out := messageJSON{ID: m.ID, Status: m.Status, Type: m.Type, Recipient: m.Recipient, TemplateType: m.TemplateType,
		SendCount: m.SendCount, Channel: m.Channel, CreatedAt: m.CreatedAt, UpdatedAt: m.UpdatedAt}
	if c, err := h.queue.Open(m); err == nil {
		out.Body, out.Subject = c.Body, c.Subject
	}
	for _, d := range m.Dispatches {
		dj := dispatchJSON{ID: d.ID, MessageID: d.MessageID, Status: d.Status, CreatedAt: d.CreatedAt, UpdatedAt: d.UpdatedAt}
		if d.Error != "" {
			dj.Error, _ = json.Marshal(map[string]string{"message": d.Error})
		}
		out.Dispatches = append(out.Dispatches, dj)
	}
	return out
}

var messageStatuses = []string{store.MessageQueued, store.MessageProcessing, store.MessageSent, store.MessageAbandoned}

// list is listCourierMessages: newest first, filtered by status and recipient, paged by
// page_size and page_token with a Link header.
func (h *CourierHandler) list(w http.ResponseWriter, r *http.Request) error {
	httpx.NoStore(w) // bodies carry one-time codes
	q := r.URL.Query()
	size, err := pageSize(q)
	if err != nil {
		return err
	}
	f := store.MessageFilter{Status: q.Get("status"), Recipient: q.Get("recipient")}
	if f.Status != "" && !slices.Contains(messageStatuses, f.Status) {
		return apierr.ErrBadRequest.WithReason("status must be one of queued, processing, sent, abandoned")
	}
	if len(f.Recipient) > 320 || !utf8.ValidString(f.Recipient) {
		return apierr.ErrBadRequest.WithReason("recipient is not a valid address")
	}
	msgs, next, err := h.store.ListMessages(r.Context(), f, store.ListParams{PageSize: size, PageToken: q.Get("page_token")})
	if err != nil {
		return err
	}
	w.Header().Set("Link", linkHeader(r.URL, size, next))
	out := make([]messageJSON, 0, len(msgs))
	for _, m := range msgs {
		out = append(out, h.view(m))
	}
	httpx.WriteJSON(w, http.StatusOK, out)
	return nil
}

// get is getCourierMessage, with the message's dispatches.
func (h *CourierHandler) get(w http.ResponseWriter, r *http.Request) error {
	httpx.NoStore(w)
	id, err := identityID(r) // the {id} path value, parsed as on every admin route
	if err != nil {
		return err
	}
	m, err := h.store.GetMessage(r.Context(), id)
	if err != nil {
		return err
	}
	httpx.WriteJSON(w, http.StatusOK, h.view(m))
	return nil
}
