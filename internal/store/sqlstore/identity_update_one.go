package sqlstore

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/portico-auth/portico/internal/audit"
	"github.com/portico-auth/portico/internal/identity"
	"github.com/portico-auth/portico/internal/store"
)

// updateIdentityOneStatement stores, on PostgreSQL, an identity update that writes no child
// row and revokes no session (a profile change) with its flows and the audit events ctx
// carries in one statement: data-modifying WITH clauses that each write from the rows of the
// identity's UPDATE … RETURNING. A statement is its own transaction, so nothing is written
// when the identity is at another version or deleted, and there is no BEGIN or COMMIT to
// send. As a transaction it was six round trips with the session read; each costs ~0.1 ms of
// PostgreSQL CPU and as much of ours, whatever it does (issue 13: perf showed no hotspot, only
// per-statement work).
//
// A flow to replace is an INSERT … ON CONFLICT (id) DO UPDATE of the columns replaceFlow
// writes: replaced when its row is there, inserted when it is gone (trimmed meanwhile), as
// writeFlow does. Flows must have distinct ids (distinctFlows): one statement cannot write a
// row twice.
func (s *Store) updateIdentityOneStatement(ctx context.Context, id *identity.Identity, now time.Time, flows []store.FlowWrite) error {
	var err error
	for attempt := 0; attempt < maxTxAttempts; attempt++ {
		err = s.tryIdentityOneStatement(ctx, id, now, flows)
		if err == nil || !isRetryable(err) || ctx.Err() != nil {
			return err
		}
	}
	return err
}

func (s *Store) tryIdentityOneStatement(ctx context.Context, id *identity.Identity, now time.Time, flows []store.FlowWrite) error {
	// Computed for each attempt, as tryTx does; no revocation is counted here (audit.Revoked).
	evs, written := audit.Pending(ctx)
	query, args := s.identityOneStatement(id, now, flows, evs)
	w := s.writer()
	var n int
	if err := w.row(ctx, query, args...).Scan(&n); err != nil {
		return mapIdentityOneStatement(err)
	}
	if n == 0 {
		// Read on its own: the statement's snapshot may predate the change that refused it.
		return whyNotUpdated(ctx, w, id.ID)
	}
	written()
	return nil
}

// flowUpsert is what a flow to replace adds to its insert (the columns replaceFlow sets).
const flowUpsert = ` ON CONFLICT (id) DO UPDATE SET identity_id = EXCLUDED.identity_id, expires_at = EXCLUDED.expires_at,
		data = EXCLUDED.data, private = EXCLUDED.private, updated_at = EXCLUDED.updated_at`

// identityOneStatement builds the statement of updateIdentityOneStatement: it returns how many
// identity rows it updated (0 or 1).
func (s *Store) identityOneStatement(id *identity.Identity, now time.Time, flows []store.FlowWrite, evs []audit.Event) (string, []any) {
	var b strings.Builder
	b.WriteString("WITH u AS (" + identityUpdate + " RETURNING i.id)")
	args := s.identityUpdateArgs(id, now)
	for i, f := range flows {
		fmt.Fprintf(&b, ",\n f%d AS (%sSELECT ?, ?, ?, ?, ?, ?, ?, ? FROM u", i, flowInsert)
		if !f.Create {
			b.WriteString(flowUpsert)
		}
		b.WriteString(")")
		args = append(args, s.flowRow(f.Record, now)...)
	}
	for i, ev := range evs {
		fmt.Fprintf(&b, ",\n e%d AS (INSERT INTO audit_events (%s) SELECT ?, ?, ?, ?, ?, ?, ?, ? FROM u)", i, eventCols)
		args = append(args, s.eventRow(ev, now)...)
	}
	b.WriteString("\nSELECT COUNT(*) FROM u")
	return b.String(), args
}

// distinctFlows reports whether no two flows name the same row (a zero id is a new one).
func distinctFlows(flows []store.FlowWrite) bool {
	seen := make(map[uuid.UUID]bool, len(flows))
	for _, f := range flows {
		if f.Record.ID == uuid.Nil {
			continue
		}
		if seen[f.Record.ID] {
			return false
		}
		seen[f.Record.ID] = true
	}
	return true
}

// mapIdentityOneStatement maps an error of the statement as the transaction's statements
// map theirs: a flow's id taken as insertFlow does, anything else as the identity's update
// (its external id taken).
func mapIdentityOneStatement(err error) error {
	var pg *pgconn.PgError
	if classify(err) == kindUnique && errors.As(err, &pg) {
		switch pg.TableName {
		case "flows":
			return flowInsertErr(err)
		case "audit_events":
			return mapErr(err, "record audit event")
		}
	}
	return mapUnique(err, "update identity", reasonExternalIDTaken)
}
