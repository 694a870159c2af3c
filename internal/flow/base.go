package flow

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/portico-auth/portico/internal/apierr"
	"github.com/portico-auth/portico/internal/httpx"
	"github.com/portico-auth/portico/internal/store"
)

// Type tells a browser flow (cookies, CSRF, redirects) from an API flow (native apps, tokens).
type Type string

// Flow types.
const (
	TypeBrowser Type = "browser"
	TypeAPI     Type = "api"
)

// Base holds the fields every self-service flow shares. A concrete flow embeds it and adds its
// own fields (state, identity, refresh, requested_aal, …); encoding/json flattens the embedded
// fields, so the flow serialises as Kratos's flat object.
type Base struct {
	ID             uuid.UUID  `json:"id"`
	OrganizationID *uuid.UUID `json:"organization_id"`
	Type           Type       `json:"type"`
	ExpiresAt      time.Time  `json:"expires_at"`
	IssuedAt       time.Time  `json:"issued_at"`
	RequestURL     string     `json:"request_url"`
	ReturnTo       string     `json:"return_to,omitempty"`
	UI             Container  `json:"ui"`
	// CreatedAt and UpdatedAt are written only when set: login flows carry them, settings
	// flows do not.
	CreatedAt time.Time `json:"created_at,omitzero"`
	UpdatedAt time.Time `json:"updated_at,omitzero"`
}

// NewBase starts a flow of type t for request r: a new id, issued now, expiring after
// lifespan, its request_url on the public base URL, and a UI that POSTs to
// <public><actionPath>?flow=<id> (actionPath such as "/self-service/login").
func NewBase(t Type, r *http.Request, public *url.URL, actionPath string, now time.Time, lifespan time.Duration) Base {
	id := uuid.New()
	now = now.UTC()
	b := Base{
		ID:         id,
		Type:       t,
		IssuedAt:   now,
		ExpiresAt:  now.Add(lifespan),
		RequestURL: RequestURL(public, r),
		UI:         Container{Method: http.MethodPost, Nodes: Nodes{}},
	}
	b.UI.Action = b.ActionURL(public, actionPath)
	return b
}

// ActionURL is <public><path>?flow=<id>, the URL a form of this flow posts to.
func (b *Base) ActionURL(public *url.URL, path string) string {
	return AppendQuery(JoinPath(public, path), "flow", b.ID.String())
}

// JoinPath appends path to the public base URL without doubling the slash.
func JoinPath(public *url.URL, path string) string {
	return strings.TrimSuffix(public.String(), "/") + "/" + strings.TrimPrefix(path, "/")
}

// RequestURL is the URL of r as seen on the public base URL (path and query kept).
func RequestURL(public *url.URL, r *http.Request) string {
	// Cut: it is stored with the flow, and anyone can create flows.
	return Echo(JoinPath(public, r.URL.RequestURI()))
}

// Expired reports whether the flow has expired at now.
func (b *Base) Expired(now time.Time) bool { return !now.Before(b.ExpiresAt) }

// ErrFlowParameter answers a submission (POST /self-service/{login,registration,settings})
// whose ?flow= is missing or not a flow id: Kratos checks the parameter before it looks for a
// flow, so this is a 400 without an error id, not the 404 of an unknown flow.
var ErrFlowParameter = apierr.ErrBadRequest.WithReason("The flow query parameter is missing or malformed.")

// SubmittedID is the flow id of a submission's ?flow=, or ErrFlowParameter. Reads
// (?id= of GET …/flows) keep answering a malformed id with the flow's 404.
func SubmittedID(r *http.Request) (uuid.UUID, error) {
	id, err := uuid.Parse(r.URL.Query().Get("flow"))
	if err != nil || id == uuid.Nil {
		return uuid.Nil, ErrFlowParameter
	}
	return id, nil
}

// Valid returns nil while the flow is usable and otherwise a 410 self_service_flow_expired
// carrying expired_at and since (nanoseconds) in its details (an *apierr.Error). Handlers
// answer a JSON submission with WriteExpired once they have created the replacement flow.
func (b *Base) Valid(now time.Time) error {
	if !b.Expired(now) {
		return nil
	}
	since := now.Sub(b.ExpiresAt)
	return apierr.ErrGone.WithID("self_service_flow_expired").
		WithReason("The self-service flow expired %.2f minutes ago, initialize a new one.", since.Minutes()).
		WithDetail("expired_at", b.ExpiresAt.UTC().Format(time.RFC3339Nano)).
		WithDetail("since", since.Nanoseconds())
}

// expiredReply is Kratos's selfServiceFlowExpiredError: the error plus, at the top level, when
// the flow expired, how long ago (nanoseconds) and the replacement flow to use. Ory's clients
// read use_flow_id there; the same keys stay in error.details for clients of earlier replies.
type expiredReply struct {
	Error     *apierr.Error `json:"error"`
	ExpiredAt time.Time     `json:"expired_at"`
	Since     int64         `json:"since"`
	UseFlowID uuid.UUID     `json:"use_flow_id"`
}

// WriteExpired answers a JSON submission to expired flow b with 410 self_service_flow_expired
// pointing to next, the replacement flow the handler made (carrying the flow's "expired"
// message).
func (b *Base) WriteExpired(w http.ResponseWriter, r *http.Request, now time.Time, next uuid.UUID) {
	e := apierr.From(b.Valid(now))
	if e.Code != http.StatusGone {
		// Not expired after all (a clock step back): still point to the new flow.
		e = apierr.ErrGone.WithID("self_service_flow_expired").WithReason("The self-service flow expired 0.00 minutes ago, initialize a new one.")
	}
	e = e.WithDetail("use_flow_id", next.String())
	if httpx.ClientGone(r) {
		httpx.WriteError(w, r, e)
		return
	}
	w.Header().Set("Ory-Error-Id", e.ID)
	httpx.NoStore(w)
	httpx.WriteJSON(w, e.Code, expiredReply{
		Error: e, ExpiredAt: b.ExpiresAt.UTC(), Since: now.Sub(b.ExpiresAt).Nanoseconds(), UseFlowID: next,
	})
}

// Record encodes flow v (a concrete flow embedding Base) as a store record of the given kind.
// identityID is the owner of the flow, or nil.
func Record(kind string, b *Base, identityID *uuid.UUID, v any) (*store.FlowRecord, error) {
	data, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("encode %s flow: %w", kind, err)
	}
	return &store.FlowRecord{ID: b.ID, Kind: kind, IdentityID: identityID, ExpiresAt: b.ExpiresAt, Data: data}, nil
}

// GoneForRead is the 410 that reading an expired flow answers (without an error id, as Kratos
// does), saying where a new flow of the same kind starts: details.api for an API flow,
// details.redirect_to (carrying the flow's return_to) and return_to for a browser flow. name is
// the flow's path segment ("login", "registration", "settings").
func (b *Base) GoneForRead(public *url.URL, name string) *apierr.Error {
	e := apierr.ErrGone.WithReason("The %s flow has expired. Initialize a new %s flow.", name, name)
	if b.Type == TypeAPI {
		return e.WithDetail("api", JoinPath(public, "/self-service/"+name+"/api"))
	}
	to := JoinPath(public, "/self-service/"+name+"/browser")
	if b.ReturnTo == "" {
		return e.WithDetail("redirect_to", to)
	}
	to += "?" + url.Values{"return_to": {b.ReturnTo}}.Encode()
	return e.WithDetail("redirect_to", to).WithDetail("return_to", b.ReturnTo)
}

// RecordData is Record for a flow already encoded as data.
func RecordData(kind string, b *Base, identityID *uuid.UUID, data []byte) *store.FlowRecord {
	return &store.FlowRecord{ID: b.ID, Kind: kind, IdentityID: identityID, ExpiresAt: b.ExpiresAt, Data: data}
}

// Decode decodes a stored flow into v.
func Decode(rec *store.FlowRecord, v any) error {
	if err := json.Unmarshal(rec.Data, v); err != nil {
		return fmt.Errorf("decode %s flow %s: %w", rec.Kind, rec.ID, err)
	}
	return nil
}
