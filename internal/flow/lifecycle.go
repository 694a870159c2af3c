package flow

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"time"

	"github.com/google/uuid"

	"github.com/portico-auth/portico/internal/apierr"
	"github.com/portico-auth/portico/internal/flow/form"
	"github.com/portico-auth/portico/internal/session"
	"github.com/portico-auth/portico/internal/session/sessionhttp"
	"github.com/portico-auth/portico/internal/store"
)

// Flow is a concrete flow as the lifecycle handles it: any struct embedding Base.
type Flow interface {
	base() *Base
}

func (b *Base) base() *Base { return b }

// Lifecycle is what every kind of flow does the same way: its routes, creating, loading and
// storing its flows by kind, CSRF, return_to, expiry (410 with use_flow_id), showing a
// rejected submission (FormError) and where a browser goes next. A flow package (login,
// registration, settings, …) holds one and keeps only what is its own: its fields, its
// methods' nodes and its success. All fields are required (UIURL may be "", Hooks nil).
type Lifecycle struct {
	// Kind is the store kind and the path segment: "login" serves /self-service/login/….
	Kind     string
	Flows    store.Flows
	Sessions *sessionhttp.Sessions
	CSRF     *CSRF
	ReturnTo *ReturnTo
	Replies  *Replier
	// Public is serve.public.base_url.
	Public *url.URL
	// UIURL is selfservice.flows.<kind>.ui_url: browsers are sent there with ?flow=<id>
	// ("" sends them to the flow's JSON).
	UIURL string
	// Lifespan is selfservice.flows.<kind>.lifespan.
	Lifespan time.Duration
	Now      func() time.Time
	// Hooks are the kind's web hooks (nil: none); see RunBefore, PrePersist and RunAfter.
	Hooks *Hooks
}

// Time is the current time in UTC.
func (l *Lifecycle) Time() time.Time { return l.Now().UTC() }

// ActionPath is where the kind's forms post to (with ?flow=<id>).
func (l *Lifecycle) ActionPath() string { return "/self-service/" + l.Kind }

// CheckReturnTo is the request's return_to as a flow keeps it ("" for none), or 400
// self_service_flow_return_to_forbidden.
func (l *Lifecycle) CheckReturnTo(r *http.Request) (string, error) {
	rt, err := l.ReturnTo.Check(r.URL.Query().Get("return_to"))
	if err != nil || rt == nil {
		return "", err
	}
	return rt.String(), nil
}

// Begin starts a flow of w's type for r: a new id, issued now, posting to the kind's action,
// keeping returnTo, and showing the csrf_token node first (the browser's masked token, set as
// a cookie when it has none; "" for an API flow).
func (l *Lifecycle) Begin(w *Responder, r *http.Request, returnTo string) Base {
	b := NewBase(w.Type(), r, l.Public, l.ActionPath(), l.Time(), l.Lifespan)
	b.ReturnTo = returnTo
	token := ""
	if b.Type == TypeBrowser {
		token = l.CSRF.Token(w, r)
	}
	b.UI.Nodes.Append(NewCSRFNode(token))
	return b
}

// Session is the request's active session, nil when there is none.
func (l *Lifecycle) Session(r *http.Request) (*session.Session, error) {
	s, err := l.Sessions.FromRequest(r.Context(), r)
	if errors.Is(err, session.ErrNoActiveSession) {
		return nil, nil
	}
	return s, err
}

// NotFound is the 404 of an unknown or malformed flow id.
func (l *Lifecycle) NotFound() *apierr.Error {
	return apierr.ErrNotFound.WithReason("The %s flow could not be found.", l.Kind)
}

// Load finds the flow with id raw and decodes it into f; an unknown or malformed id is
// NotFound.
func (l *Lifecycle) Load(ctx context.Context, raw string, f Flow) (*store.FlowRecord, error) {
	id, err := uuid.Parse(raw)
	if err != nil {
		return nil, l.NotFound()
	}
	rec, err := l.Flows.GetFlow(ctx, l.Kind, id)
	if errors.Is(err, apierr.ErrNotFound) {
		return nil, l.NotFound()
	}
	if err != nil {
		return nil, err
	}
	if err := Decode(rec, f); err != nil {
		return nil, apierr.ErrInternal.WithCause(err)
	}
	return rec, nil
}

// Submission loads the flow a submission names (?flow=: missing or malformed is a 400,
// judged before any flow is looked up) into f, and tells w its type.
func (l *Lifecycle) Submission(w *Responder, r *http.Request, f Flow) (*store.FlowRecord, error) {
	id, err := SubmittedID(r)
	if err != nil {
		return nil, err
	}
	rec, err := l.Load(r.Context(), id.String(), f)
	if err != nil {
		return nil, err
	}
	w.SetType(f.base().Type)
	return rec, nil
}

// Verify checks a submission's CSRF token: browser flows must carry the browser's token, API
// flows must not come from a browser (CSRF.VerifyFlow).
func (l *Lifecycle) Verify(r *http.Request, f Flow, body form.Values) error {
	return l.CSRF.VerifyFlow(r, f.base().Type, body.String("csrf_token"))
}

// Create stores a new flow; owner is the identity it belongs to, or nil.
func (l *Lifecycle) Create(ctx context.Context, f Flow, owner *uuid.UUID) error {
	rec, err := Record(l.Kind, f.base(), owner, f)
	if err != nil {
		return apierr.ErrInternal.WithCause(err)
	}
	return l.Flows.CreateFlow(ctx, rec)
}

// Save stores a flow's current state; a flow that carries timestamps gets updated_at now.
func (l *Lifecycle) Save(ctx context.Context, f Flow, owner *uuid.UUID) error {
	b := f.base()
	if !b.CreatedAt.IsZero() {
		b.UpdatedAt = l.Time()
	}
	rec, err := Record(l.Kind, b, owner, f)
	if err != nil {
		return apierr.ErrInternal.WithCause(err)
	}
	return l.Flows.UpdateFlow(ctx, rec)
}

// UI is the flow's page: ui_url?flow=<id>, or the flow's JSON when no UI is configured.
func (l *Lifecycle) UI(id uuid.UUID) string {
	if l.UIURL == "" {
		return JoinPath(l.Public, "/self-service/"+l.Kind+"/flows?id="+id.String())
	}
	return AppendQuery(l.UIURL, "flow", id.String())
}

// Target is where a browser goes once the flow is done: its return_to (kept as given, so a
// relative one is resolved here) or fallback.
func (l *Lifecycle) Target(returnTo, fallback string) string {
	if returnTo != "" {
		return l.ReturnTo.Resolve(returnTo)
	}
	return fallback
}

// Get serves GET /self-service/<kind>/flows?id=: the flow as stored, or the 410 of an expired
// one saying where to start anew.
func (l *Lifecycle) Get(w *Responder, r *http.Request, f Flow) error {
	if _, err := l.Load(r.Context(), r.URL.Query().Get("id"), f); err != nil {
		return err
	}
	if b := f.base(); b.Expired(l.Time()) {
		return b.GoneForRead(l.Public, l.Kind)
	}
	return w.Reply(http.StatusOK, f)
}

// Invalid shows a rejected submission on the flow and stores it (owned by owner, or nil):
// 400 with the flow for JSON callers, back to the flow's page for browsers. Secrets never
// travel back.
func (l *Lifecycle) Invalid(w *Responder, r *http.Request, f Flow, owner *uuid.UUID, fe *FormError) error {
	b := f.base()
	b.UI.ShowMessages(fe.Messages, fe.Nodes)
	b.UI.Nodes.ClearValues(InputPassword)
	if err := l.Save(r.Context(), f, owner); err != nil {
		return err
	}
	return w.Show(http.StatusBadRequest, f, l.UI(b.ID))
}

// Expired answers a submission to expired flow old with next, its stored replacement (see
// Responder.Expired).
func (l *Lifecycle) Expired(w *Responder, old, next Flow) error {
	id := next.base().ID
	return w.Expired(old.base(), l.Time(), id, l.UI(id))
}
