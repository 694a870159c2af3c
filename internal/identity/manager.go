package identity

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/portico-auth/portico/internal/apierr"
	"github.com/portico-auth/portico/internal/schema"
)

// Store is the part of the identity store the manager writes through.
type Store interface {
	CreateIdentity(ctx context.Context, id *Identity) error
	UpdateIdentity(ctx context.Context, id *Identity) error
	UpdateIdentityRevokingSessions(ctx context.Context, id *Identity, keep uuid.UUID) error
}

// Schemas finds identity schemas (satisfied by *schema.Registry).
type Schemas interface {
	Get(id string) (*schema.Schema, error)
	Default() *schema.Schema
}

// Hasher hashes passwords (satisfied by *hash.Hasher).
type Hasher interface {
	Hash(ctx context.Context, password []byte) (string, error)
}

// HashValidator is optionally implemented by a Hasher that can tell whether it is able to
// verify an imported password hash; without it the manager checks the hash's prefix.
type HashValidator interface {
	ValidateHash(hashed string) error
}

// Manager creates and updates identities: it applies the identity schema (validation,
// identifiers, addresses) before anything reaches the store.
type Manager struct {
	store   Store
	schemas Schemas
	hasher  Hasher
	// Now is the clock (required: internal/server defaults it once).
	Now func() time.Time
	// MaxMetadataBytes bounds metadata_public and metadata_admin each (JSON bytes);
	// schema.DefaultMaxBytes when 0. The traits' bound is the schema's (ValidateTraits).
	MaxMetadataBytes int
	// Policy judges every plain-text password before it is hashed (see CheckPassword); nil
	// accepts any.
	Policy PasswordPolicy
}

// NewManager returns a manager. now may be nil (time.Now).
func NewManager(store Store, schemas Schemas, hasher Hasher, now func() time.Time) *Manager {
	return &Manager{store: store, schemas: schemas, hasher: hasher, Now: now}
}

// CreateOptions carries the secrets an identity may be created with.
type CreateOptions struct {
	// Password is a plain-text password to hash and store.
	Password string
	// HashedPassword is an imported hash (PHC format, bcrypt, …) stored as is.
	HashedPassword string
}

// ConflictReason is Kratos's reason for a duplicate identifier.
const ConflictReason = "An account with the same identifier (email, phone, username, ...) exists already."

func (m *Manager) now() time.Time { return m.Now().UTC() }

// NormalizeIdentifier is how every identifier is compared: trimmed, and lower-cased when it
// looks like an e-mail address.
func NormalizeIdentifier(s string) string { return schema.NormalizeValue(s, false) }

// Create validates the identity against its schema (the default one when SchemaID is empty),
// fills in addresses and credential identifiers from the traits, sets the password credential
// when opts carries one, and stores it. A BeforeSave carried by ctx runs first (see
// WithBeforeSave). Invalid input is ErrBadRequest, a duplicate identifier
// ErrConflict.
func (m *Manager) Create(ctx context.Context, id *Identity, opts CreateOptions) error {
	s, err := m.prepare(id)
	if err != nil {
		return err
	}
	now := m.now()
	if id.ID == uuid.Nil {
		id.ID = uuid.New()
	}
	id.CreatedAt, id.UpdatedAt = now, now
	id.StateChangedAt = &now
	if err := runBeforeSave(ctx, id); err != nil {
		return err
	}
	ex, err := m.apply(s, id, now)
	if err != nil {
		return err
	}
	for t, c := range id.Credentials {
		// Credentials the caller brought (an oidc link, an import) are as new as the identity.
		if c.CreatedAt.IsZero() {
			c.CreatedAt, c.UpdatedAt = now, now
			id.Credentials[t] = c
		}
	}
	if opts.Password != "" || opts.HashedPassword != "" {
		if err := m.setPassword(ctx, id, opts.Password, opts.HashedPassword, now); err != nil {
			return err
		}
		setIdentifiers(id, CredentialsPassword, ex.PasswordIdentifiers, now)
	}
	setCodeAddresses(id, &ex, now)
	if err := m.store.CreateIdentity(ctx, id); err != nil {
		if errors.Is(err, apierr.ErrConflict) {
			return apierr.ErrConflict.WithReason(ConflictReason).WithCause(err)
		}
		return fmt.Errorf("create identity: %w", err)
	}
	return nil
}

// Update re-validates the identity and stores it: credential identifiers (password, WebAuthn,
// code) follow the traits, addresses that stay keep their id and verification status. id.Version must
// be the version that was loaded; a concurrent change is ErrConflict. A nil StateChangedAt
// (the caller changed the state) is set to now. A BeforeSave carried by ctx runs first.
func (m *Manager) Update(ctx context.Context, id *Identity) error {
	return m.update(ctx, id, m.store.UpdateIdentity)
}

// UpdateRevokingSessions is Update that also deactivates every other active session of the
// identity (all but keep) in the same transaction when revoke, asked with the identity as it
// will be stored (addresses derived from the traits), says so; a nil revoke always does.
func (m *Manager) UpdateRevokingSessions(ctx context.Context, id *Identity, keep uuid.UUID, revoke func(*Identity) bool) error {
	return m.update(ctx, id, func(ctx context.Context, id *Identity) error {
		if revoke != nil && !revoke(id) {
			return m.store.UpdateIdentity(ctx, id)
		}
		return m.store.UpdateIdentityRevokingSessions(ctx, id, keep)
	})
}

// UpdateWith is Update that stores the validated identity with save instead: a store call
// that writes more rows in the identity's transaction (store.Identities.UpdateIdentityWith).
func (m *Manager) UpdateWith(ctx context.Context, id *Identity, save func(context.Context, *Identity) error) error {
	return m.update(ctx, id, save)
}

func (m *Manager) update(ctx context.Context, id *Identity, save func(context.Context, *Identity) error) error {
	if err := runBeforeSave(ctx, id); err != nil {
		return err
	}
	s, err := m.prepare(id)
	if err != nil {
		return err
	}
	now := m.now()
	if id.StateChangedAt == nil {
		id.StateChangedAt = &now
	}
	ex, err := m.apply(s, id, now)
	if err != nil {
		return err
	}
	if id.HasCredentials(CredentialsPassword) {
		setIdentifiers(id, CredentialsPassword, ex.PasswordIdentifiers, now)
	}
	if id.HasCredentials(CredentialsWebAuthn) {
		setIdentifiers(id, CredentialsWebAuthn, ex.WebAuthnIdentifiers, now)
	}
	setCodeAddresses(id, &ex, now)
	if err := save(ctx, id); err != nil {
		if errors.Is(err, apierr.ErrConflict) {
			e := apierr.From(err)
			if e.Reason == "" {
				return apierr.ErrConflict.WithReason(ConflictReason).WithCause(err)
			}
			return err
		}
		return fmt.Errorf("update identity: %w", err)
	}
	return nil
}

// SetPassword replaces the identity's password credential in memory (call Update to store it):
// password is hashed, or hashedPassword imported as is.
func (m *Manager) SetPassword(ctx context.Context, id *Identity, password, hashedPassword string) error {
	s, err := m.schemaFor(id)
	if err != nil {
		return err
	}
	ex, err := s.Extract(id.Traits)
	if err != nil {
		return err
	}
	now := m.now()
	if err := m.setPassword(ctx, id, password, hashedPassword, now); err != nil {
		return err
	}
	setIdentifiers(id, CredentialsPassword, ex.PasswordIdentifiers, now)
	return nil
}

// prepare is the start of a create or an update: id's schema (the default one when it names
// none), and its state (active when it has none), which must be a known one.
func (m *Manager) prepare(id *Identity) (*schema.Schema, error) {
	s, err := m.schemaFor(id)
	if err != nil {
		return nil, err
	}
	if id.State == "" {
		id.State = StateActive
	}
	if err := checkState(id.State); err != nil {
		return nil, err
	}
	return s, nil
}

func (m *Manager) schemaFor(id *Identity) (*schema.Schema, error) {
	if id.SchemaID == "" {
		id.SchemaID = m.schemas.Default().ID
	}
	s, err := m.schemas.Get(id.SchemaID)
	if err != nil {
		if errors.Is(err, apierr.ErrNotFound) {
			return nil, apierr.ErrBadRequest.WithReason("Identity schema %q does not exist.", id.SchemaID).WithCause(err)
		}
		return nil, err
	}
	return s, nil
}

func checkState(s State) error {
	if s != StateActive && s != StateInactive {
		return apierr.ErrBadRequest.WithReason("The identity state must be %q or %q, not %q.", StateActive, StateInactive, s)
	}
	return nil
}

// apply validates the traits and sets the addresses the schema derives from them.
func (m *Manager) apply(s *schema.Schema, id *Identity, now time.Time) (schema.Extracted, error) {
	if len(strings.TrimSpace(string(id.Traits))) == 0 || string(id.Traits) == "null" {
		id.Traits = json.RawMessage("{}")
	}
	if err := schema.CheckSize("metadata_public", id.MetadataPublic, m.MaxMetadataBytes); err != nil {
		return schema.Extracted{}, err
	}
	if err := schema.CheckSize("metadata_admin", id.MetadataAdmin, m.MaxMetadataBytes); err != nil {
		return schema.Extracted{}, err
	}
	if err := s.ValidateTraits(id.Traits); err != nil {
		return schema.Extracted{}, err
	}
	ex, err := s.Extract(id.Traits)
	if err != nil {
		return ex, err
	}
	id.VerifiableAddresses = mergeVerifiable(id.VerifiableAddresses, ex.VerifiableAddresses, now)
	id.RecoveryAddresses = mergeRecovery(id.RecoveryAddresses, ex.RecoveryAddresses, now)
	return ex, nil
}

// mergeVerifiable returns one address per extracted value, reusing an existing address (its id,
// verification status and times) when the value and channel stay.
func mergeVerifiable(old []VerifiableAddress, want []schema.Address, now time.Time) []VerifiableAddress {
	out := make([]VerifiableAddress, 0, len(want))
	for _, w := range want {
		var found *VerifiableAddress
		for i := range old {
			if old[i].Via == w.Via && schema.NormalizeValue(old[i].Value, w.Via == "email") == w.Value {
				found = &old[i]
				break
			}
		}
		if found != nil {
			a := *found
			a.Value = w.Value
			if a.ID == uuid.Nil {
				a.ID = uuid.New()
			}
			if a.Status == "" {
				a.Status = "pending"
				if a.Verified {
					a.Status = "completed"
				}
			}
			if a.Verified && a.VerifiedAt == nil {
				t := now
				a.VerifiedAt = &t
			}
			if a.CreatedAt.IsZero() {
				a.CreatedAt = now
			}
			if a.UpdatedAt.IsZero() {
				a.UpdatedAt = now
			}
			out = append(out, a)
			continue
		}
		out = append(out, VerifiableAddress{
			ID: uuid.New(), Value: w.Value, Via: w.Via, Status: "pending", CreatedAt: now, UpdatedAt: now,
		})
	}
	return out
}

func mergeRecovery(old []RecoveryAddress, want []schema.Address, now time.Time) []RecoveryAddress {
	out := make([]RecoveryAddress, 0, len(want))
	for _, w := range want {
		a := RecoveryAddress{ID: uuid.New(), Value: w.Value, Via: w.Via, CreatedAt: now, UpdatedAt: now}
		for _, o := range old {
			if o.Via == w.Via && schema.NormalizeValue(o.Value, w.Via == "email") == w.Value {
				if o.ID != uuid.Nil {
					a.ID = o.ID
				}
				if !o.CreatedAt.IsZero() {
					a.CreatedAt, a.UpdatedAt = o.CreatedAt, o.UpdatedAt
				}
				break
			}
		}
		out = append(out, a)
	}
	return out
}

// setIdentifiers updates the identifiers of the credential of type t.
func setIdentifiers(id *Identity, t CredentialsType, identifiers []string, now time.Time) {
	c, ok := id.Credentials[t]
	if !ok {
		return
	}
	if identifiers == nil {
		identifiers = []string{}
	}
	if !equalStrings(c.Identifiers, identifiers) {
		c.Identifiers = identifiers
		c.UpdatedAt = now
	}
	id.Credentials[t] = c
}

func equalStrings(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
