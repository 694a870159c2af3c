// Package store declares the persistence interfaces, one per aggregate. The sql subpackage
// implements them over SQLite, PostgreSQL and MySQL/MariaDB; the conformance subpackage is the
// one test suite every implementation must pass.
//
// Errors: a missing row is apierr.ErrNotFound, a uniqueness or version clash apierr.ErrConflict,
// a database that cannot be reached apierr.ErrUnavailable (wrapped with %w; test with errors.Is).
package store

import (
	"context"
	"time"

	"github.com/google/uuid"

	"github.com/portico-auth/portico/internal/identity"
	"github.com/portico-auth/portico/internal/session"
)

// ListParams pages through a listing. PageToken is opaque (empty = first page).
type ListParams struct {
	PageSize  int
	PageToken string
}

// IdentityFilter narrows ListIdentities.
type IdentityFilter struct {
	// CredentialsIdentifier keeps identities holding a credential with exactly this identifier
	// (already normalised by the caller).
	CredentialsIdentifier string
	// CredentialsIdentifierSimilar keeps identities holding a credential whose identifier
	// starts with this (already normalised) text: Kratos's
	// preview_credentials_identifier_similar, for a search box.
	CredentialsIdentifierSimilar string
	// IDs keeps only these identities (empty = all).
	IDs []uuid.UUID
}

// Identities persists identities with their credentials, identifiers and addresses.
type Identities interface {
	// CreateIdentity inserts the identity and everything it holds in one transaction. A
	// credential identifier already used by another identity (same credential type) is
	// ErrConflict. Zero IDs and times are filled in; Version is set to 1.
	CreateIdentity(ctx context.Context, id *identity.Identity) error
	// GetIdentity loads one identity; withCredentials also loads credential configs.
	GetIdentity(ctx context.Context, id uuid.UUID, withCredentials bool) (*identity.Identity, error)
	// UpdateIdentity replaces the stored identity (traits, state, metadata, credentials,
	// identifiers, addresses) in one transaction, only if id.Version is the stored version;
	// otherwise ErrConflict. On success id.Version is incremented and UpdatedAt set.
	UpdateIdentity(ctx context.Context, id *identity.Identity) error
	// UpdateIdentityRevokingSessions is UpdateIdentity that also deactivates, in the same
	// transaction, every active session of the identity except keep (a credential change with
	// the revoke_active_sessions hook: never a new password with the old sessions still alive).
	UpdateIdentityRevokingSessions(ctx context.Context, id *identity.Identity, keep uuid.UUID) error
	// UpdateIdentityWith is UpdateIdentity that writes w's rows in the same transaction: a
	// settings change stores the identity, the fresh flow its reply shows and the submitted
	// flow's success in one write (on SQLite's single writer, one transaction instead of
	// three). A version conflict or a failure writes none of them.
	UpdateIdentityWith(ctx context.Context, id *identity.Identity, w IdentityWrites) error
	// DeleteIdentity removes the identity and everything that belongs to it (sessions too):
	// the identity is gone at once, its rows follow. MarkIdentityDeleted's one transaction
	// makes it deleted for every reader and writer (not found by any read, its sessions
	// unusable, its identifiers, addresses and external id free for another identity), with
	// the audit events ctx carries; then its sessions go in paced batches and last its row. An
	// identity already deleted, even if its rows are still going, is ErrNotFound. A deletion
	// interrupted after the first step is finished by PurgeDeletedIdentities.
	DeleteIdentity(ctx context.Context, id uuid.UUID) error
	// MarkIdentityDeleted is DeleteIdentity's first step alone: what an interrupted deletion
	// leaves (the rows that remain are the cleanup's, PurgeDeletedIdentities).
	MarkIdentityDeleted(ctx context.Context, id uuid.UUID) error
	// PurgeDeletedIdentities removes up to limit (≤ 0: all) remaining rows (sessions, then the
	// identity row) of identities deleted at or before t, and returns how many it removed.
	PurgeDeletedIdentities(ctx context.Context, t time.Time, limit int) (int, error)
	// DeleteAccount is an identity deleting itself, as DeleteIdentity: in one transaction it
	// makes identity id deleted for every reader (its credentials, identifiers, addresses,
	// flows and one-time codes, also those sent to its addresses by flows not tied to it, go
	// in it) and queues notices, but only while session sessionID of that identity is live at
	// now; then its sessions and row follow. Otherwise nothing changes and the error is
	// session.ErrInactive (a revoked session deletes nothing); an identity that is gone is
	// ErrNotFound. A session, flow or identity update written concurrently is either deleted
	// with it or refused: never a half-deleted identity.
	DeleteAccount(ctx context.Context, id, sessionID uuid.UUID, now time.Time, notices []*Message) error
	// ListIdentities returns a page ordered by id and the token of the next page ("" = last).
	ListIdentities(ctx context.Context, f IdentityFilter, p ListParams) ([]*identity.Identity, string, error)
	// FindByCredentialsIdentifier finds the identity holding a credential of type t with the
	// given (normalised) identifier, with credential configs loaded.
	FindByCredentialsIdentifier(ctx context.Context, t identity.CredentialsType, identifier string) (*identity.Identity, error)
}

// IdentityWrites are the rows UpdateIdentityWith writes beside the identity.
type IdentityWrites struct {
	// RevokeSessionsExcept, when not nil, deactivates every active session of the identity
	// except this one (as UpdateIdentityRevokingSessions does).
	RevokeSessionsExcept *uuid.UUID
	// Flows, when set, is called once before the transaction begins with a copy of the
	// identity as the update will store it (the next version, updated_at, the ids and times
	// of new rows), so that flows showing it can be built without holding the write; the
	// flows it returns are written in the transaction. An error it returns is returned as is
	// and nothing is written.
	Flows func(stored *identity.Identity) ([]FlowWrite, error)
	// Stored, when set, is the identity as read at id.Version with credential configs and
	// addresses (a session read or GetIdentity with credentials): the update compares id with
	// it instead of reading the child rows again inside the transaction. It is used only when
	// its id and version are id's; the version check makes it the stored state whenever the
	// update succeeds (a version is never stored twice).
	Stored *identity.Identity
}

// FlowWrite is one flow written by UpdateIdentityWith: Record replaces the stored flow of
// its id (as UpdateFlow does), or is inserted when Create is set or no such row is left (an
// identity's flow cap may have trimmed it meanwhile).
type FlowWrite struct {
	Record *FlowRecord
	Create bool
}

// Sessions persists sessions. A session loaded by GetSession or GetSessionByToken carries its
// Identity with credentials and their configs (secrets): every reply strips them, as it must
// for any identity. Listed sessions carry identities without configs.
//
// The write rule (the conformance suite races every writer against every revocation on each
// backend): after CreateSession, a session row is changed only by the writers below, each
// writing only the columns it owns in one conditional statement, never a whole row from a copy
// read earlier. Only the revokers write active, and only to false; no writer ever sets it to
// true. The others (RecordSessionAuthentication, ExtendSession) change a session only while it
// is live: active and expires_at after the now they are given. Otherwise they change nothing
// and return session.ErrInactive (a not-found kind, as Kratos answers for a session it will
// not touch; session.IsInactive tells it from a session that never existed). So a revoked or
// expired session never becomes usable again, whatever a request that read it before the
// revocation goes on to do.
type Sessions interface {
	CreateSession(ctx context.Context, s *session.Session) error
	// CreateSessionCapped is CreateSession that, in the same transaction, revokes the
	// identity's oldest live sessions (by issued_at) so that at most max stay live, the new
	// one included, and returns how many it revoked; max <= 0 is no cap. Concurrent sign-ins
	// of one identity cannot leave more than max live.
	CreateSessionCapped(ctx context.Context, s *session.Session, max int) (int, error)
	// GetSessionByToken finds a session by the SHA-256 of its token.
	GetSessionByToken(ctx context.Context, tokenHash []byte) (*session.Session, error)
	GetSession(ctx context.Context, id uuid.UUID) (*session.Session, error)
	// RecordSessionAuthentication stores s's authenticated_at, aal and authentication_methods
	// (a step-up, a refresh login, a factor set up in settings) on the live session s.ID, only
	// if its version is still s.Version; a later version is ErrConflict (another
	// authentication was recorded since s was read: read it again and reapply). On success
	// s.Version is incremented.
	RecordSessionAuthentication(ctx context.Context, s *session.Session, now time.Time) error
	// ExtendSession sets expires_at of the live session id to expiresAt, only if the session's
	// identity is active too; a session that is not live, or whose identity is not active,
	// is left as it is and reported inactive.
	ExtendSession(ctx context.Context, id uuid.UUID, now, expiresAt time.Time) error
	// ListSessions lists sessions, newest first; identityID uuid.Nil = every identity;
	// active nil = both. Each session's identity has its addresses but no credentials (a
	// listed session shows the public view of its identity).
	ListSessions(ctx context.Context, identityID uuid.UUID, active *bool, p ListParams) ([]*session.Session, string, error)
	// RevokeSession deactivates one session (of identityID, unless that is uuid.Nil).
	RevokeSession(ctx context.Context, identityID, sessionID uuid.UUID) error
	// RevokeSessionsExcept deactivates every active session of the identity except keep and
	// returns how many it deactivated.
	RevokeSessionsExcept(ctx context.Context, identityID, keep uuid.UUID) (int, error)
	// DeleteSessionsExpiredBefore deletes at most limit sessions that expired before t.
	DeleteSessionsExpiredBefore(ctx context.Context, t time.Time, limit int) (int, error)
}

// FlowRecord is a self-service flow as stored: a few columns to find it by and the flow
// itself as a JSON document the flow packages own.
type FlowRecord struct {
	ID         uuid.UUID
	Kind       string // "login", "registration", "settings", "logout", …
	IdentityID *uuid.UUID
	ExpiresAt  time.Time
	Data       []byte
	// Private is an optional JSON document stored beside Data that must never reach a
	// client (a flow's sealed submissions, its methods' internal state), so that Data can be
	// sent as it is stored. Empty is stored as NULL and loaded as nil.
	//
	// A store reads Data and Private only while the call it is given them in runs (it keeps
	// no reference once that call returns), and the caller changes neither meanwhile: after
	// the call the caller may reuse their bytes. The bytes of a record GetFlow returns are
	// the caller's to read but never to write into: they may be the memory of the string the
	// database driver read (sqlstore hands it over instead of copying it); a caller that
	// changes a document builds it in bytes of its own.
	Private []byte
}

// Flows persists self-service flows.
type Flows interface {
	CreateFlow(ctx context.Context, f *FlowRecord) error
	// GetFlow loads a flow of the given kind; a flow of another kind is ErrNotFound.
	GetFlow(ctx context.Context, kind string, id uuid.UUID) (*FlowRecord, error)
	// UpdateFlow replaces Data, Private, IdentityID and ExpiresAt.
	UpdateFlow(ctx context.Context, f *FlowRecord) error
	// DeleteFlow deletes one flow of the given kind; a flow that is not there (never was, or
	// another request deleted it first) is ErrNotFound. Single-use records (a WebAuthn
	// challenge) are consumed this way: of two concurrent deletes exactly one succeeds.
	DeleteFlow(ctx context.Context, kind string, id uuid.UUID) error
	// DeleteFlowsExpiredBefore deletes at most limit flows that expired before t.
	DeleteFlowsExpiredBefore(ctx context.Context, t time.Time, limit int) (int, error)
	// TrimFlows caps the flows of kind owned by identityID (expired or not): when there are
	// more than max, it keeps flow keepID (uuid.Nil: none in particular) and the others
	// written last (then expiring last), keep in all (keep <= max), and deletes the rest. With
	// keep below max, the write it costs is paid once per max-keep new flows, not on every
	// flow of an identity at the cap.
	TrimFlows(ctx context.Context, kind string, identityID, keepID uuid.UUID, max, keep int) (Trimmed, error)
}

// Trimmed is what a TrimFlows did.
type Trimmed struct {
	// Deleted is how many flows it deleted.
	Deleted int
	// Left is how many flows of the kind the identity had left as the trim counted them:
	// exact up to max, at least keep after a trim (concurrent creations and trims may have
	// changed it since), so a caller may create max-Left more before the cap can be passed.
	Left int
}

// Errors persists self-service errors shown to browsers at the error UI.
type Errors interface {
	CreateError(ctx context.Context, id uuid.UUID, data []byte) error
	GetError(ctx context.Context, id uuid.UUID) ([]byte, error)
	// DeleteErrorsBefore deletes at most limit errors created before t (anyone can make the
	// server store one, so they must not be kept for good).
	DeleteErrorsBefore(ctx context.Context, t time.Time, limit int) (int, error)
}

// Values persists small named values the server must keep across restarts (e.g. a cookie
// secret generated in dev mode).
type Values interface {
	GetValue(ctx context.Context, key string) (string, error)
	// PutValueIfAbsent stores value unless key exists, and returns the stored value.
	PutValueIfAbsent(ctx context.Context, key, value string) (string, error)
}

// Throttles counts attempts per key (a hashed identifier, address or device) in fixed
// windows, shared by every instance on the database, so that limits hold behind a load
// balancer. An attempt is counted before it is evaluated (ReserveAttempt), never after, so
// concurrent attempts cannot all pass a check made before any of them was counted.
type Throttles interface {
	// ReserveAttempt counts one attempt for key at now and reports true, unless max attempts
	// are already counted in the current window: then it counts nothing and reports false.
	// The check and the count are one atomic step. A window (started by its first attempt)
	// that has ended restarts at one.
	ReserveAttempt(ctx context.Context, key string, now time.Time, window time.Duration, max int) (bool, error)
	// ReleaseAttempt gives back one counted attempt of key (never below zero).
	ReleaseAttempt(ctx context.Context, key string) error
	// Failures returns the attempts counted for key in the window still open at now.
	Failures(ctx context.Context, key string, now time.Time, window time.Duration) (int, error)
	// ClearFailures forgets key's count.
	ClearFailures(ctx context.Context, key string) error
	// DeleteFailuresBefore deletes at most limit counters whose window started before t.
	DeleteFailuresBefore(ctx context.Context, t time.Time, limit int) (int, error)
}

// Code is a one-time code or link token of a self-service flow as stored: never the code
// itself, only Hash, a keyed hash the method package computes (binding the code to its flow).
type Code struct {
	ID     uuid.UUID
	FlowID uuid.UUID
	// Purpose is the flow kind the code serves ("verification", "recovery", "login",
	// "registration"); Method is "code" or "link".
	Purpose string
	Method  string
	// IdentityID is the identity the code proves control for; nil when the address belongs to
	// none (a registration code).
	IdentityID *uuid.UUID
	// Via and Address are where the code was sent ("email", "sms"; the address as normalised).
	Via     string
	Address string
	Hash    []byte
	// Attempts counts the tries reserved on the code (ReserveCodeAttempt).
	Attempts  int
	ExpiresAt time.Time
	UsedAt    *time.Time
	CreatedAt time.Time
}

// Codes persists one-time codes. A code is single use, bound to its flow (deleted with it),
// expiring, and has a bounded number of tries, each reserved before the guess is compared.
type Codes interface {
	// CreateCode stores c (zero ID and CreatedAt are filled in) and, in the same transaction,
	// deletes the unused codes of the same flow, purpose and method: a code sent again
	// replaces the one sent before. The flow must exist.
	CreateCode(ctx context.Context, c *Code) error
	// ReserveCodeAttempt counts one try on the live code (unused, not expired at now) of the
	// flow's purpose and method "code", only if it has had fewer than max tries, and returns
	// it (with Hash) and true. The check and the count are one conditional update, so of any
	// number of concurrent callers at most max are admitted per code. A live code with no tries
	// left is returned with false; no live code at all is ErrNotFound.
	ReserveCodeAttempt(ctx context.Context, flowID uuid.UUID, purpose string, now time.Time, max int) (*Code, bool, error)
	// FindCodeByHash returns the live link token (method "link", unused, not expired at now) of
	// purpose with this hash; otherwise ErrNotFound.
	FindCodeByHash(ctx context.Context, purpose string, hash []byte, now time.Time) (*Code, error)
	// UseCode marks code id used at now, only if it is still unused and not expired: of any
	// number of concurrent callers exactly one succeeds; the others (and a used or expired
	// code) get ErrNotFound.
	UseCode(ctx context.Context, id uuid.UUID, now time.Time) error
	// DeleteCodesExpiredBefore deletes at most limit codes that expired before t.
	DeleteCodesExpiredBefore(ctx context.Context, t time.Time, limit int) (int, error)
}

// Addresses changes the verification state of an identity's verifiable addresses without a
// full identity update. Each write also increments the identity's version in the same
// transaction, so that an identity update prepared before it is refused (ErrConflict) instead
// of writing the old state back.
type Addresses interface {
	// MarkAddressVerified sets the verifiable address (via, value) of identityID verified, with
	// status "completed" and verified_at now (kept when it was verified before); ErrNotFound
	// when the identity has no such address.
	MarkAddressVerified(ctx context.Context, identityID uuid.UUID, via, value string, now time.Time) error
	// SetAddressStatus sets the status ("pending", "sent") of an address that is not verified
	// yet; a verified address keeps "completed". ErrNotFound when there is no such address.
	SetAddressStatus(ctx context.Context, identityID uuid.UUID, via, value, status string, now time.Time) error
	// FindByVerifiableAddress finds the identity holding the verifiable address (via, value),
	// without credential configs; ErrNotFound when none does.
	FindByVerifiableAddress(ctx context.Context, via, value string) (*identity.Identity, error)
	// FindByRecoveryAddress is FindByVerifiableAddress for recovery addresses.
	FindByRecoveryAddress(ctx context.Context, via, value string) (*identity.Identity, error)
}

// Store is everything a Portico server persists.
type Store interface {
	Identities
	Sessions
	Flows
	Errors
	Values
	Throttles
	Codes
	Addresses
	Messages
	Events
	// Ping checks that the database answers.
	Ping(ctx context.Context) error
	// Close releases the connections.
	Close() error
}
