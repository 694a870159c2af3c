package schema

import (
	"github.com/portico-auth/portico/internal/apierr"
)

// DefaultMaxBytes bounds an identity's traits, and each of its metadata documents, unless
// identity.traits_max_bytes / identity.metadata_max_bytes say otherwise. Every settings flow
// shows the traits, so the bound is also what a flow row may hold of them.
const DefaultMaxBytes = 64 << 10

// LimitTraits sets the largest traits document (encoded JSON, in bytes) every schema of the
// registry accepts; 0 or less keeps DefaultMaxBytes.
func (r *Registry) LimitTraits(n int) {
	for _, s := range r.order {
		s.maxTraits = n
	}
}

// CheckSize refuses a document (traits, metadata_public, metadata_admin) larger than limit
// bytes (DefaultMaxBytes when limit is 0 or less) with a 400 naming it. It is a plain
// bad-request error, not a ValidationError, so that forms do not store the oversized values
// to show them again.
func CheckSize(what string, doc []byte, limit int) error {
	if limit <= 0 {
		limit = DefaultMaxBytes
	}
	if len(doc) <= limit {
		return nil
	}
	return apierr.ErrBadRequest.WithReason("The identity's %s is too large: %d bytes, at most %d bytes are allowed.", what, len(doc), limit)
}
