package sqlstore

import (
	"context"
	"slices"
	"sort"
	"time"

	"github.com/google/uuid"

	"github.com/portico-auth/portico/internal/identity"
)

// writeChildren brings the stored credentials, credential identifiers, key ids and addresses
// of id to what id holds, writing only the rows that differ. A profile change that leaves
// them alone writes none of them: on SQLite every statement runs on the single writer, so a
// rewrite of every child row made each settings change pay for rows it did not touch.
//
// It runs inside the transaction that has just moved the identity's version on (UPDATE …
// WHERE version = ?). That update holds the identity row's lock (SQLite: the write lock), and
// every writer of an identity's children takes it first, so the rows read here are the rows
// of the version the caller loaded and cannot change before the commit.
//
// Deletions run first, then updates, then insertions, so a value that moves between rows (an
// address re-created under a new id, an identifier whose credential is replaced) never meets
// its old row in a unique index.
//
// stored, when it is the identity as read at id.Version (see store.IdentityWrites.Stored), is
// what is compared with, and nothing is read: the update of the identity row has just proven
// that version is the stored one.
func (s *Store) writeChildren(ctx context.Context, tx q, id, stored *identity.Identity) error {
	old := stored
	if !usableStored(id, stored) {
		old = &identity.Identity{ID: id.ID, Credentials: map[identity.CredentialsType]identity.Credentials{}}
		if err := s.loadRelations(ctx, tx, []*identity.Identity{old}, true); err != nil {
			return err
		}
	}
	d := diffChildren(old, id)
	creds, va, ra := d.creds, d.va, d.ra
	for i, k := range creds.kept {
		if k.configChanged {
			var err error
			if creds.kept[i].dropKeys, creds.kept[i].addKeys, err = diffKeys(ctx, tx, k.c); err != nil {
				return err
			}
		}
	}

	// Deletions.
	for _, c := range creds.drop {
		if err := deleteCredential(ctx, tx, c); err != nil {
			return err
		}
	}
	for _, k := range creds.kept {
		for _, ident := range k.dropIdentifiers {
			if _, err := tx.exec(ctx, `DELETE FROM identity_credential_identifiers WHERE credential_type = ? AND identifier = ? AND credential_id = ?`,
				string(k.c.Type), ident, k.c.ID); err != nil {
				return mapErr(err, "update identity: delete credential identifier")
			}
		}
		for _, key := range k.dropKeys {
			if _, err := tx.exec(ctx, `DELETE FROM identity_credential_keys WHERE key_id = ? AND credential_id = ?`, key, k.c.ID); err != nil {
				return mapErr(err, "update identity: delete credential key id")
			}
		}
	}
	for _, a := range va.drop {
		if _, err := tx.exec(ctx, `DELETE FROM identity_verifiable_addresses WHERE id = ? AND identity_id = ?`, a, id.ID); err != nil {
			return mapErr(err, "update identity: delete verifiable address")
		}
	}
	for _, a := range ra.drop {
		if _, err := tx.exec(ctx, `DELETE FROM identity_recovery_addresses WHERE id = ? AND identity_id = ?`, a, id.ID); err != nil {
			return mapErr(err, "update identity: delete recovery address")
		}
	}

	// Updates of rows that stay.
	for _, k := range creds.kept {
		c := k.c
		if k.rowChanged {
			if _, err := tx.exec(ctx, `UPDATE identity_credentials SET config = ?, version = ?, created_at = ?, updated_at = ? WHERE id = ?`,
				jsonOr(c.Config, "{}"), c.Version, s.d.time(c.CreatedAt), s.d.time(c.UpdatedAt), c.ID); err != nil {
				return mapErr(err, "update identity: update credentials")
			}
		}
		for _, m := range k.moveIdentifiers {
			if _, err := tx.exec(ctx, `UPDATE identity_credential_identifiers SET position = ? WHERE credential_type = ? AND identifier = ? AND credential_id = ?`,
				m.pos, string(c.Type), m.identifier, c.ID); err != nil {
				return mapErr(err, "update identity: move credential identifier")
			}
		}
	}
	for _, a := range va.update {
		if _, err := tx.exec(ctx, `UPDATE identity_verifiable_addresses SET verified = ?, status = ?, verified_at = ?, created_at = ?, updated_at = ? WHERE id = ?`,
			a.Verified, a.Status, s.d.nullTime(a.VerifiedAt), s.d.time(a.CreatedAt), s.d.time(a.UpdatedAt), a.ID); err != nil {
			return mapErr(err, "update identity: update verifiable address")
		}
	}
	for _, a := range ra.update {
		if _, err := tx.exec(ctx, `UPDATE identity_recovery_addresses SET created_at = ?, updated_at = ? WHERE id = ?`,
			s.d.time(a.CreatedAt), s.d.time(a.UpdatedAt), a.ID); err != nil {
			return mapErr(err, "update identity: update recovery address")
		}
	}

	// Insertions.
	for _, c := range creds.add {
		if err := s.insertCredential(ctx, tx, id, c); err != nil {
			return err
		}
	}
	for _, k := range creds.kept {
		for _, m := range k.addIdentifiers {
			if err := insertIdentifier(ctx, tx, id, k.c, m.identifier, m.pos); err != nil {
				return err
			}
		}
		if err := insertKeys(ctx, tx, id, k.c, k.addKeys); err != nil {
			return err
		}
	}
	for _, a := range va.add {
		if err := s.insertVerifiable(ctx, tx, id, a); err != nil {
			return err
		}
	}
	for _, a := range ra.add {
		if err := s.insertRecovery(ctx, tx, id, a); err != nil {
			return err
		}
	}
	return nil
}

// usableStored reports whether stored may stand for the stored child rows of id: it is the
// identity as read at id.Version with its credentials (see store.IdentityWrites.Stored).
func usableStored(id, stored *identity.Identity) bool {
	return stored != nil && stored.ID == id.ID && stored.Version == id.Version && stored.Credentials != nil
}

// childDiff is what an update does to the child rows of an identity, but for the key ids of
// a changed WebAuthn or passkey config, which are compared with their rows (diffKeys).
type childDiff struct {
	creds credentialDiff
	va    addressDiff[identity.VerifiableAddress]
	ra    addressDiff[identity.RecoveryAddress]
}

func diffChildren(old, want *identity.Identity) childDiff {
	return childDiff{creds: diffCredentials(old, want),
		va: diffVerifiable(old.VerifiableAddresses, want.VerifiableAddresses),
		ra: diffRecovery(old.RecoveryAddresses, want.RecoveryAddresses)}
}

// none reports whether writeChildren would run no statement for d: nothing to delete, update
// or insert (a credential whose config is unchanged has no key ids to compare).
func (d childDiff) none() bool {
	if len(d.creds.drop) > 0 || len(d.creds.add) > 0 || len(d.va.drop)+len(d.va.update)+len(d.va.add) > 0 ||
		len(d.ra.drop)+len(d.ra.update)+len(d.ra.add) > 0 {
		return false
	}
	for _, k := range d.creds.kept {
		if k.rowChanged || len(k.dropIdentifiers)+len(k.moveIdentifiers)+len(k.addIdentifiers) > 0 {
			return false
		}
	}
	return true
}

// credentialDiff is what an update does to the credential rows of an identity.
type credentialDiff struct {
	drop []identity.Credentials // rows to delete (with their identifiers and key ids)
	add  []identity.Credentials // rows to insert (with their identifiers and key ids)
	kept []keptCredential       // rows that stay, possibly changed
}

// keptCredential is a credential row that stays (same type, same id) and what changes in it.
type keptCredential struct {
	c                               identity.Credentials
	rowChanged                      bool // config, version or times differ
	configChanged                   bool // its key ids are to be compared (diffKeys)
	dropIdentifiers                 []string
	moveIdentifiers, addIdentifiers []positioned
	dropKeys, addKeys               []string
}

type positioned struct {
	identifier string
	pos        int
}

// diffCredentials compares the stored credentials with the wanted ones, type by type (an
// identity holds one credential row per type). A row whose id changed is replaced. Key ids
// are left to diffKeys, for a WebAuthn or passkey config that changed (configChanged).
func diffCredentials(old, want *identity.Identity) credentialDiff {
	var d credentialDiff
	for _, t := range sortedTypes(old.Credentials) {
		o := old.Credentials[t]
		if w, ok := want.Credentials[t]; !ok || w.ID != o.ID {
			d.drop = append(d.drop, o)
		}
	}
	for _, t := range sortedTypes(want.Credentials) {
		w := want.Credentials[t]
		o, ok := old.Credentials[t]
		if !ok || o.ID != w.ID {
			d.add = append(d.add, w)
			continue
		}
		k := keptCredential{c: w}
		k.configChanged = jsonOr(w.Config, "{}") != jsonOr(o.Config, "{}")
		k.rowChanged = k.configChanged || w.Version != o.Version ||
			!w.CreatedAt.Equal(o.CreatedAt) || !w.UpdatedAt.Equal(o.UpdatedAt)
		k.dropIdentifiers, k.moveIdentifiers, k.addIdentifiers = diffIdentifiers(o.Identifiers, w.Identifiers)
		d.kept = append(d.kept, k)
	}
	return d
}

func sortedTypes(m map[identity.CredentialsType]identity.Credentials) []identity.CredentialsType {
	out := make([]identity.CredentialsType, 0, len(m))
	for t := range m {
		out = append(out, t)
	}
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return out
}

// diffIdentifiers compares two ordered identifier lists (stored positions are list indexes).
func diffIdentifiers(old, want []string) (drop []string, move, add []positioned) {
	oldPos := make(map[string]int, len(old))
	for i, v := range old {
		oldPos[v] = i
	}
	for _, v := range old {
		if !slices.Contains(want, v) {
			drop = append(drop, v)
		}
	}
	for i, v := range want {
		p, ok := oldPos[v]
		switch {
		case !ok:
			add = append(add, positioned{v, i})
		case p != i:
			move = append(move, positioned{v, i})
		}
	}
	return drop, move, add
}

// diffKeys compares the key ids a changed WebAuthn or passkey config holds with the index rows
// stored for the credential (the rows, not the old config: they are what the unique index
// holds).
func diffKeys(ctx context.Context, tx q, c identity.Credentials) (drop, add []string, err error) {
	want, err := c.KeyIDs()
	if err != nil {
		return nil, nil, err
	}
	rows, err := tx.query(ctx, `SELECT key_id FROM identity_credential_keys WHERE credential_id = ?`, c.ID)
	if err != nil {
		return nil, nil, mapErr(err, "update identity: load credential key ids")
	}
	defer rows.Close()
	stored := map[string]bool{}
	for rows.Next() {
		var k string
		if err := rows.Scan(&k); err != nil {
			return nil, nil, mapErr(err, "update identity: load credential key ids")
		}
		stored[k] = true
	}
	if err := rows.Err(); err != nil {
		return nil, nil, mapErr(err, "update identity: load credential key ids")
	}
	wanted := make(map[string]bool, len(want))
	for _, k := range want {
		if wanted[k] {
			continue
		}
		wanted[k] = true
		if !stored[k] {
			add = append(add, k)
		}
	}
	for k := range stored {
		if !wanted[k] {
			drop = append(drop, k)
		}
	}
	sort.Strings(drop)
	return drop, add, nil
}

// deleteCredential removes a credential row and what indexes it (the foreign keys cascade
// too; deleting them first keeps the order of deletions independent of that).
func deleteCredential(ctx context.Context, tx q, c identity.Credentials) error {
	for _, query := range []string{
		`DELETE FROM identity_credential_identifiers WHERE credential_id = ?`,
		`DELETE FROM identity_credential_keys WHERE credential_id = ?`,
		`DELETE FROM identity_credentials WHERE id = ?`,
	} {
		if _, err := tx.exec(ctx, query, c.ID); err != nil {
			return mapErr(err, "update identity: delete credentials")
		}
	}
	return nil
}

// addressDiff is what an update does to one kind of address rows.
type addressDiff[A any] struct {
	drop   []uuid.UUID // ids of rows to delete
	update []A         // rows that stay with changed columns
	add    []A         // rows to insert
}

// diffAddresses compares addresses by id. A row whose channel or value changed (replaced) is
// deleted and inserted again (after every deletion), so two addresses that swap values never
// collide in the (via, value) unique index; a row whose other columns changed is updated.
func diffAddresses[A any](old, want []A, id func(A) uuid.UUID, replaced, changed func(o, w A) bool) addressDiff[A] {
	var d addressDiff[A]
	byID := make(map[uuid.UUID]A, len(old))
	for _, o := range old {
		byID[id(o)] = o
	}
	kept := make(map[uuid.UUID]bool, len(want))
	for _, w := range want {
		o, ok := byID[id(w)]
		switch {
		case !ok || replaced(o, w):
			d.add = append(d.add, w)
		case changed(o, w):
			d.update = append(d.update, w)
			kept[id(w)] = true
		default:
			kept[id(w)] = true
		}
	}
	for _, o := range old {
		if !kept[id(o)] {
			d.drop = append(d.drop, id(o))
		}
	}
	return d
}

func diffVerifiable(old, want []identity.VerifiableAddress) addressDiff[identity.VerifiableAddress] {
	return diffAddresses(old, want,
		func(a identity.VerifiableAddress) uuid.UUID { return a.ID },
		func(o, w identity.VerifiableAddress) bool { return o.Via != w.Via || o.Value != w.Value },
		func(o, w identity.VerifiableAddress) bool {
			return o.Verified != w.Verified || o.Status != w.Status || !sameTimePtr(o.VerifiedAt, w.VerifiedAt) ||
				!o.CreatedAt.Equal(w.CreatedAt) || !o.UpdatedAt.Equal(w.UpdatedAt)
		})
}

func diffRecovery(old, want []identity.RecoveryAddress) addressDiff[identity.RecoveryAddress] {
	return diffAddresses(old, want,
		func(a identity.RecoveryAddress) uuid.UUID { return a.ID },
		func(o, w identity.RecoveryAddress) bool { return o.Via != w.Via || o.Value != w.Value },
		func(o, w identity.RecoveryAddress) bool {
			return !o.CreatedAt.Equal(w.CreatedAt) || !o.UpdatedAt.Equal(w.UpdatedAt)
		})
}

func sameTimePtr(a, b *time.Time) bool {
	if a == nil || b == nil {
		return a == b
	}
	return a.Equal(*b)
}
