package audit

import (
	"encoding/json"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"
)

// Event types. The names are Portico's own (Kratos keeps no trail); they are stored and shown
// as they are, so they do not change.
const (
	// SignIn: a session was issued, refreshed or stepped up. Details: methods, aal.
	SignIn = "sign_in"
	// SignInFailed: a wrong identifier, password or code. The identity is set only when the
	// attempt named one that exists; one of no identity is counted, not stored
	// (audithttp.Recorder.Record). Details: method.
	SignInFailed = "sign_in_failed"
	// SignUp: a self-service registration created the identity (written in the creating
	// transaction). Details: method.
	SignUp = "sign_up"
	// SignInThrottled: an attempt refused because its budget was spent. Details: method.
	SignInThrottled = "sign_in_throttled"
	// CredentialAdded, CredentialChanged and CredentialRemoved: a credential of the type in
	// details (type) appeared, was replaced or went away.
	CredentialAdded   = "credential_added"
	CredentialChanged = "credential_changed"
	CredentialRemoved = "credential_removed"
	// AddressAdded, AddressChanged and AddressRemoved: a verifiable address appeared, replaced
	// another of the same kind, or went away; AddressVerified: one was verified. Details: via.
	// The address itself is not kept: it is the identity's data, not the trail's.
	AddressAdded    = "address_added"
	AddressChanged  = "address_changed"
	AddressRemoved  = "address_removed"
	AddressVerified = "address_verified"
	// SessionRevoked: sessions were ended. Details: by (self, admin, logout, session_cap) and
	// count when more than the one named by the event's session; reason when the sessions
	// were ended as a consequence of something else (ReasonCredentialChange,
	// ReasonRevokeHook, ReasonSessionCap): one event for all of them.
	SessionRevoked = "session_revoked"
	// IdentityCreated, IdentityUpdated, IdentityDeleted and IdentityCredentialDeleted: an
	// administrator's change through the admin API. Details: by (admin), type for a credential.
	IdentityCreated           = "identity_created"
	IdentityUpdated           = "identity_updated"
	IdentityDeleted           = "identity_deleted"
	IdentityCredentialDeleted = "identity_credential_deleted"
)

// Why sessions were ended as a consequence of another change (SessionRevoked, details
// "reason").
const (
	// ReasonCredentialChange: a settings change of a credential or a recovery address ended
	// the other sessions (revoke_other_sessions_on_credential_change).
	ReasonCredentialChange = "credential_change"
	// ReasonRevokeHook: the settings method's revoke_active_sessions hook ended them.
	ReasonRevokeHook = "revoke_active_sessions"
	// ReasonSessionCap: a new session ended the oldest ones past session.max_per_identity.
	ReasonSessionCap = "max_per_identity"
)

// Who made a change (details "by").
const (
	BySelf   = "self"
	ByAdmin  = "admin"
	ByLogout = "logout"
	// BySessionCap: the sign-in that made a new session past session.max_per_identity.
	BySessionCap = "session_cap"
)

// Bounds of what an event keeps. The user agent is the client's to choose; the details are
// Portico's own but bounded all the same, so that no event row grows with input.
const (
	MaxUserAgent = 256
	MaxAddress   = 64
	MaxDetails   = 1024
)

// Event is one entry of the trail.
type Event struct {
	ID uuid.UUID `json:"id"`
	// Type is one of the constants above.
	Type string    `json:"type"`
	Time time.Time `json:"created_at"`
	// IdentityID is the identity the event concerns; nil when there is none (an attempt on an
	// identifier no identity holds), and then the request side does not store it
	// (audithttp.Recorder.Record).
	IdentityID *uuid.UUID `json:"identity_id"`
	// SessionID is the session that made the change or that the event is about; nil when
	// there is none (an admin change, a failed attempt).
	SessionID *uuid.UUID `json:"session_id"`
	// Address is the client's address (serve.public.trusted_proxies rule), "" when unknown or
	// when the admin API made the change.
	Address   string `json:"ip_address"`
	UserAgent string `json:"user_agent"`
	// Details is a small JSON object (MaxDetails bytes), "{}" when there is nothing to add.
	Details json.RawMessage `json:"details"`
}

// New returns an event of type typ about identityID (uuid.Nil: none) with details (marshalled
// to a JSON object; nil is {}), its id and time to be filled in by Bounded.
func New(typ string, identityID uuid.UUID, details map[string]any) Event {
	ev := Event{Type: typ}
	if identityID != uuid.Nil {
		ev.IdentityID = &identityID
	}
	if len(details) > 0 {
		// A map of strings, numbers and string slices always marshals.
		ev.Details, _ = json.Marshal(details)
	}
	return ev
}

// WithSession returns ev about session id (uuid.Nil: none).
func (ev Event) WithSession(id uuid.UUID) Event {
	if id != uuid.Nil {
		ev.SessionID = &id
	}
	return ev
}

// Bounded returns ev ready to store: an id (NewV7) and a time (now) when it has none, the user agent
// and address cut to their bounds on a character boundary, details that are no JSON object
// or longer than MaxDetails replaced by {"truncated":true}.
func (ev Event) Bounded(now time.Time) Event {
	if ev.ID == uuid.Nil {
		// Time-ordered (version 7, increasing within the process), so that events of one
		// instant list in the order they were recorded: the trail is ordered by time, then id.
		id, err := uuid.NewV7()
		if err != nil {
			id = uuid.New()
		}
		ev.ID = id
	}
	if ev.Time.IsZero() {
		ev.Time = now
	}
	ev.UserAgent = cut(ev.UserAgent, MaxUserAgent)
	ev.Address = cut(ev.Address, MaxAddress)
	switch {
	case len(ev.Details) == 0:
		ev.Details = json.RawMessage(`{}`)
	case len(ev.Details) > MaxDetails || ev.Details[0] != '{' || !json.Valid(ev.Details):
		ev.Details = json.RawMessage(`{"truncated":true}`)
	}
	return ev
}

// cut returns s as valid UTF-8 of at most n bytes, cut on a character boundary.
func cut(s string, n int) string {
	if !utf8.ValidString(s) {
		s = string([]rune(s)) // invalid bytes become U+FFFD
	}
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}
