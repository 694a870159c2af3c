package settings

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/portico-auth/portico/internal/identity"
)

// shownMemoMax bounds the identities a shownMemo remembers, shownMemoMaxBytes the JSON it
// remembers of one (a larger identity is encoded each time): at most 2 MiB in all, as the
// server's peak memory is a target of its own.
const (
	shownMemoMax      = 256
	shownMemoMaxBytes = 8 << 10
)

// shownMemo remembers the JSON of the identity a settings flow shows (its public view), per
// stored version of the identity: every created and every read flow attaches it, and encoding
// it by reflection was 4-6% of those requests. A stored identity's row version and updated_at
// change with every stored change of it or its relations (the store's relation cache relies
// on the same), so a session's identity with a remembered version and updated_at is shown as
// remembered. Only identities as the session read loaded them are given to it: a changed copy
// of one not yet stored would share its version.
type shownMemo struct {
	identity.VersionMemo[shownEntry]
}

type shownEntry struct {
	updated time.Time
	json    []byte
}

// encode is the JSON of stored identity ident's public view (publicBase as for
// identity.Public), from the memo when ident's version was shown before. The bytes are shared:
// callers copy them, never write into them.
func (m *shownMemo) encode(ident *identity.Identity, publicBase string) ([]byte, error) {
	if e, ok := m.Get(ident.ID, ident.Version); ok && e.updated.Equal(ident.UpdatedAt) {
		return e.json, nil
	}
	raw, err := json.Marshal(ident.Public(publicBase))
	if err != nil {
		return nil, fmt.Errorf("encode settings flow identity: %w", err)
	}
	if ident.Version <= 0 || len(raw) > shownMemoMaxBytes {
		return raw, nil // not a stored version, or too large to keep
	}
	m.Put(ident.ID, ident.Version, shownMemoMax, shownEntry{updated: ident.UpdatedAt, json: raw})
	return raw, nil
}
