package kratosimport

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/portico-auth/portico/internal/identity"
	"github.com/portico-auth/portico/internal/session"
)

// kIdentity is one Kratos identity with everything that belongs to it, as read.
type kIdentity struct {
	ID             uuid.UUID
	SchemaID       string
	Traits         []byte
	State          string
	StateChangedAt *time.Time
	MetadataPublic []byte
	MetadataAdmin  []byte
	OrganizationID *uuid.UUID
	ExternalID     string
	CreatedAt      time.Time
	UpdatedAt      time.Time

	Credentials []kCredential
	Verifiable  []identity.VerifiableAddress
	Recovery    []identity.RecoveryAddress
	Sessions    []kSession
}

// kCredential is one identity_credentials row with its type's name and its identifiers.
type kCredential struct {
	ID          uuid.UUID
	Type        string
	Config      []byte
	Version     int
	CreatedAt   time.Time
	UpdatedAt   time.Time
	Identifiers []string
}

// kSession is one sessions row with its devices.
type kSession struct {
	ID              uuid.UUID
	IdentityID      uuid.UUID
	IssuedAt        time.Time
	ExpiresAt       time.Time
	AuthenticatedAt time.Time
	Token           string
	Active          bool
	AAL             string
	Methods         []byte
	Devices         []session.Device
}

// tval scans a time however the driver gives it: time.Time (PostgreSQL, MySQL, SQLite's
// DATETIME columns through the driver), or the text SQLite keeps.
type tval struct {
	T     time.Time
	Valid bool
}

var timeLayouts = []string{
	"2006-01-02 15:04:05.999999999-07:00",
	"2006-01-02 15:04:05.999999999Z07:00",
	time.RFC3339Nano,
	"2006-01-02 15:04:05.999999999",
	"2006-01-02T15:04:05.999999999",
}

func (v *tval) Scan(src any) error {
	switch x := src.(type) {
	case nil:
		*v = tval{}
		return nil
	case time.Time:
		*v = tval{T: x.UTC(), Valid: true}
		return nil
	case []byte:
		return v.parse(string(x))
	case string:
		return v.parse(x)
	}
	return fmt.Errorf("unexpected time value of type %T", src)
}

func (v *tval) parse(s string) error {
	for _, l := range timeLayouts {
		if t, err := time.Parse(l, s); err == nil {
			*v = tval{T: t.UTC(), Valid: true}
			return nil
		}
	}
	return fmt.Errorf("unreadable time %q", s)
}

func (v tval) ptr() *time.Time {
	if !v.Valid {
		return nil
	}
	t := v.T
	return &t
}

// bytesOrNil scans a JSON (or text) column that may be NULL.
type bytesOrNil struct{ B []byte }

func (b *bytesOrNil) Scan(src any) error {
	switch x := src.(type) {
	case nil:
		b.B = nil
	case []byte:
		b.B = append([]byte(nil), x...)
	case string:
		b.B = []byte(x)
	default:
		return fmt.Errorf("unexpected text value of type %T", src)
	}
	return nil
}

// batch reads up to limit identities with ids after `after` (uuid.Nil: from the start), in id
// order, with their credentials, addresses and (withSessions) sessions.
func (s *Source) batch(ctx context.Context, after uuid.UUID, limit int, withSessions bool) ([]*kIdentity, error) {
	q := `SELECT id, schema_id, traits, state, state_changed_at, metadata_public, metadata_admin,
		organization_id, external_id, created_at, updated_at FROM identities WHERE nid = ?`
	args := []any{s.NID}
	if after != uuid.Nil {
		q += " AND id > ?"
		args = append(args, s.idArg(after))
	}
	q += fmt.Sprintf(" ORDER BY id LIMIT %d", limit)
	rows, err := s.query(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("read kratos identities: %w", err)
	}
	var out []*kIdentity
	byID := map[uuid.UUID]*kIdentity{}
	err = eachRow(rows, func() error {
		var (
			k                  kIdentity
			traits, mp, ma     bytesOrNil
			org                uuid.NullUUID
			ext                sql.NullString
			changed            tval
			created, updated   tval
			schemaID, stateStr sql.NullString
		)
		if err := rows.Scan(&k.ID, &schemaID, &traits, &stateStr, &changed, &mp, &ma, &org, &ext, &created, &updated); err != nil {
			return err
		}
		k.SchemaID, k.State, k.Traits = schemaID.String, stateStr.String, traits.B
		k.StateChangedAt, k.MetadataPublic, k.MetadataAdmin = changed.ptr(), mp.B, ma.B
		if org.Valid {
			o := org.UUID
			k.OrganizationID = &o
		}
		k.ExternalID, k.CreatedAt, k.UpdatedAt = ext.String, created.T, updated.T
		out = append(out, &k)
		byID[k.ID] = &k
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("read kratos identities: %w", err)
	}
	if len(out) == 0 {
		return nil, nil
	}
	ids := make([]any, 0, len(out))
	for _, k := range out {
		ids = append(ids, s.idArg(k.ID))
	}
	if err := s.readCredentials(ctx, ids, byID); err != nil {
		return nil, err
	}
	if err := s.readAddresses(ctx, ids, byID); err != nil {
		return nil, err
	}
	if withSessions {
		if err := s.readSessions(ctx, ids, byID); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// idArg is a uuid as the database compares it (text in SQLite and MySQL).
func (s *Source) idArg(id uuid.UUID) any { return id.String() }

func in(n int) string { return strings.TrimSuffix(strings.Repeat("?, ", n), ", ") }

func eachRow(rows *sql.Rows, f func() error) error {
	defer rows.Close()
	for rows.Next() {
		if err := f(); err != nil {
			return err
		}
	}
	return rows.Err()
}

func (s *Source) readCredentials(ctx context.Context, ids []any, byID map[uuid.UUID]*kIdentity) error {
	args := append([]any{s.NID}, ids...)
	rows, err := s.query(ctx, `SELECT c.id, c.identity_id, t.name, c.config, c.version, c.created_at, c.updated_at
		FROM identity_credentials c JOIN identity_credential_types t ON t.id = c.identity_credential_type_id
		WHERE c.nid = ? AND c.identity_id IN (`+in(len(ids))+`) ORDER BY c.identity_id, t.name`, args...)
	if err != nil {
		return fmt.Errorf("read kratos credentials: %w", err)
	}
	byCred := map[uuid.UUID]*kCredential{}
	type ref struct{ identity, cred uuid.UUID }
	var order []ref
	err = eachRow(rows, func() error {
		var (
			c                kCredential
			identityID       uuid.UUID
			cfg              bytesOrNil
			created, updated tval
			version          sql.NullInt64
		)
		if err := rows.Scan(&c.ID, &identityID, &c.Type, &cfg, &version, &created, &updated); err != nil {
			return err
		}
		c.Config, c.Version, c.CreatedAt, c.UpdatedAt = cfg.B, int(version.Int64), created.T, updated.T
		k := byID[identityID]
		if k == nil {
			return nil
		}
		k.Credentials = append(k.Credentials, c)
		order = append(order, ref{identityID, c.ID})
		return nil
	})
	if err != nil {
		return fmt.Errorf("read kratos credentials: %w", err)
	}
	for _, r := range order {
		k := byID[r.identity]
		for i := range k.Credentials {
			if k.Credentials[i].ID == r.cred {
				byCred[r.cred] = &k.Credentials[i]
			}
		}
	}
	rows, err = s.query(ctx, `SELECT identity_credential_id, identifier FROM identity_credential_identifiers
		WHERE nid = ? AND identity_id IN (`+in(len(ids))+`) ORDER BY identity_credential_id, identifier`, args...)
	if err != nil {
		return fmt.Errorf("read kratos credential identifiers: %w", err)
	}
	err = eachRow(rows, func() error {
		var credID uuid.UUID
		var ident string
		if err := rows.Scan(&credID, &ident); err != nil {
			return err
		}
		if c := byCred[credID]; c != nil {
			c.Identifiers = append(c.Identifiers, ident)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("read kratos credential identifiers: %w", err)
	}
	return nil
}

func (s *Source) readAddresses(ctx context.Context, ids []any, byID map[uuid.UUID]*kIdentity) error {
	args := append([]any{s.NID}, ids...)
	rows, err := s.query(ctx, `SELECT id, identity_id, via, value, verified, status, verified_at, created_at, updated_at
		FROM identity_verifiable_addresses WHERE nid = ? AND identity_id IN (`+in(len(ids))+`) ORDER BY identity_id, created_at, value`, args...)
	if err != nil {
		return fmt.Errorf("read kratos verifiable addresses: %w", err)
	}
	err = eachRow(rows, func() error {
		var (
			a                        identity.VerifiableAddress
			identityID               uuid.UUID
			verified                 sql.NullBool
			verifiedAt, created, upd tval
		)
		if err := rows.Scan(&a.ID, &identityID, &a.Via, &a.Value, &verified, &a.Status, &verifiedAt, &created, &upd); err != nil {
			return err
		}
		a.Verified, a.VerifiedAt, a.CreatedAt, a.UpdatedAt = verified.Bool, verifiedAt.ptr(), created.T, upd.T
		if k := byID[identityID]; k != nil {
			k.Verifiable = append(k.Verifiable, a)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("read kratos verifiable addresses: %w", err)
	}
	rows, err = s.query(ctx, `SELECT id, identity_id, via, value, created_at, updated_at
		FROM identity_recovery_addresses WHERE nid = ? AND identity_id IN (`+in(len(ids))+`) ORDER BY identity_id, created_at, value`, args...)
	if err != nil {
		return fmt.Errorf("read kratos recovery addresses: %w", err)
	}
	err = eachRow(rows, func() error {
		var (
			a            identity.RecoveryAddress
			identityID   uuid.UUID
			created, upd tval
		)
		if err := rows.Scan(&a.ID, &identityID, &a.Via, &a.Value, &created, &upd); err != nil {
			return err
		}
		a.CreatedAt, a.UpdatedAt = created.T, upd.T
		if k := byID[identityID]; k != nil {
			k.Recovery = append(k.Recovery, a)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("read kratos recovery addresses: %w", err)
	}
	return nil
}

func (s *Source) readSessions(ctx context.Context, ids []any, byID map[uuid.UUID]*kIdentity) error {
	args := append([]any{s.NID}, ids...)
	rows, err := s.query(ctx, `SELECT id, identity_id, issued_at, expires_at, authenticated_at, token, active, aal, authentication_methods
		FROM sessions WHERE nid = ? AND identity_id IN (`+in(len(ids))+`) ORDER BY identity_id, issued_at, id`, args...)
	if err != nil {
		return fmt.Errorf("read kratos sessions: %w", err)
	}
	bySession := map[uuid.UUID]*kSession{}
	var all []*kSession
	err = eachRow(rows, func() error {
		var (
			ss                  kSession
			issued, exp, authAt tval
			token, aal          sql.NullString
			active              sql.NullBool
			methods             bytesOrNil
		)
		if err := rows.Scan(&ss.ID, &ss.IdentityID, &issued, &exp, &authAt, &token, &active, &aal, &methods); err != nil {
			return err
		}
		ss.IssuedAt, ss.ExpiresAt, ss.AuthenticatedAt = issued.T, exp.T, authAt.T
		ss.Token, ss.Active, ss.AAL, ss.Methods = token.String, active.Bool, aal.String, methods.B
		all = append(all, &ss)
		return nil
	})
	if err != nil {
		return fmt.Errorf("read kratos sessions: %w", err)
	}
	if len(all) == 0 {
		return nil
	}
	sids := make([]any, 0, len(all))
	for _, ss := range all {
		bySession[ss.ID] = ss
		sids = append(sids, s.idArg(ss.ID))
	}
	rows, err = s.query(ctx, `SELECT id, session_id, ip_address, user_agent, location FROM session_devices
		WHERE nid = ? AND session_id IN (`+in(len(sids))+`) ORDER BY session_id, created_at`, append([]any{s.NID}, sids...)...)
	if err != nil {
		return fmt.Errorf("read kratos session devices: %w", err)
	}
	err = eachRow(rows, func() error {
		var (
			d             session.Device
			sid           uuid.UUID
			ip, ua, where sql.NullString
		)
		if err := rows.Scan(&d.ID, &sid, &ip, &ua, &where); err != nil {
			return err
		}
		d.IPAddress, d.UserAgent, d.Location = ip.String, ua.String, where.String
		if ss := bySession[sid]; ss != nil {
			ss.Devices = append(ss.Devices, d)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("read kratos session devices: %w", err)
	}
	for _, ss := range all {
		if k := byID[ss.IdentityID]; k != nil {
			k.Sessions = append(k.Sessions, *ss)
		}
	}
	return nil
}
