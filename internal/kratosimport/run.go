package kratosimport

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/google/uuid"

	"github.com/portico-auth/portico/internal/apierr"
	"github.com/portico-auth/portico/internal/identity"
	"github.com/portico-auth/portico/internal/schema"
	"github.com/portico-auth/portico/internal/session"
)

// Target is the Portico store written to (satisfied by store.Store).
type Target interface {
	GetIdentity(ctx context.Context, id uuid.UUID, withCredentials bool) (*identity.Identity, error)
	CreateIdentity(ctx context.Context, id *identity.Identity) error
	GetSession(ctx context.Context, id uuid.UUID) (*session.Session, error)
	CreateSession(ctx context.Context, s *session.Session) error
}

// Schemas are Portico's identity schemas (satisfied by *schema.Registry).
type Schemas interface {
	Get(id string) (*schema.Schema, error)
}

// Options configure a run.
type Options struct {
	Target  Target
	Schemas Schemas
	// KratosSchemas are the schema URLs of Kratos's configuration by id (--kratos-config), to
	// say where a schema Portico lacks comes from and whether Portico's differs; optional.
	KratosSchemas map[string]string
	// KratosSchemaDocs are the documents behind KratosSchemas, when they could be loaded.
	KratosSchemaDocs map[string][]byte
	// Secrets seal imported recovery codes for reveal: the server's secrets.cipher followed by
	// its cookie secrets (what the lookup_secret settings method is given).
	Secrets []string
	// Sessions imports the active sessions too.
	Sessions bool
	// BrowserCookieSecrets are Portico's secrets.kratos_cookie and KratosCookieSecrets Kratos's
	// secrets.cookie when its configuration was given: with Sessions, the report says whether
	// browsers holding Kratos's session cookie stay signed in.
	BrowserCookieSecrets, KratosCookieSecrets []string
	// DryRun reads and checks everything and writes nothing.
	DryRun bool
	// Progress receives a line per BatchSize identities; nil: none.
	Progress io.Writer
	// BatchSize is how many identities are read at once (1,000 when 0).
	BatchSize int
	// Now is the clock (required; the command gives time.Now): sessions expired at now are left behind.
	Now func() time.Time
}

type importer struct {
	src  *Source
	opts Options
}

func (im *importer) now() time.Time { return im.opts.Now() }

func (im *importer) kratosSchemaURL(id string) string { return im.opts.KratosSchemas[id] }

// Run imports every identity of the source's network (and with Options.Sessions their active
// sessions) into the target. Each identity is written in one transaction with everything it
// holds, and identities already in the target (by id) are left as they are, as are sessions
// already there: a second run changes nothing, and a run that stopped half-way is finished by
// running it again. An error is returned only when the run could not go on (a database
// unreachable); what cannot be imported is in the report.
func Run(ctx context.Context, src *Source, opts Options) (*Report, error) {
	im := &importer{src: src, opts: opts}
	size := opts.BatchSize
	if size <= 0 {
		size = 1000
	}
	rep := newReport(src, opts)
	start := time.Now()
	after := uuid.Nil
	for {
		batch, err := src.batch(ctx, after, size, opts.Sessions)
		if err != nil {
			return rep, err
		}
		for _, k := range batch {
			if err := im.one(ctx, k, rep); err != nil {
				return rep, err
			}
		}
		if len(batch) > 0 && opts.Progress != nil {
			fmt.Fprintln(opts.Progress, rep.progressLine(time.Since(start)))
		}
		if len(batch) < size {
			break
		}
		after = batch[len(batch)-1].ID
	}
	rep.Elapsed = time.Since(start)
	return rep, nil
}

// one imports one identity and its sessions.
func (im *importer) one(ctx context.Context, k *kIdentity, rep *Report) error {
	rep.Identities.Read++
	rep.Sessions.Read += len(k.Sessions)
	c, problem := im.convert(k)
	if problem != nil {
		rep.Identities.NotImportable++
		rep.Problems = append(rep.Problems, *problem)
		rep.Sessions.LeftBehind += len(k.Sessions)
		return nil
	}
	rep.Warnings = append(rep.Warnings, c.warnings...)
	rep.Dropped = append(rep.Dropped, c.dropped...)
	rep.EmptyWebAuthn += c.emptyKeys
	rep.Sessions.Inactive += c.sessionsInactive

	existing, err := im.opts.Target.GetIdentity(ctx, k.ID, false)
	switch {
	case err == nil:
		rep.Identities.Present++
		if k.UpdatedAt.After(existing.UpdatedAt) {
			rep.Identities.ChangedSince++
		}
	case !errors.Is(err, apierr.ErrNotFound):
		return fmt.Errorf("read identity %s from portico: %w", k.ID, err)
	case im.opts.DryRun:
		rep.count(c.ident)
	default:
		err := im.opts.Target.CreateIdentity(ctx, c.ident)
		if errors.Is(err, apierr.ErrConflict) {
			rep.Identities.NotImportable++
			rep.Problems = append(rep.Problems, Problem{IdentityID: k.ID.String(), What: "identity",
				Reason: "conflicts with an identity already in Portico: " + apierr.From(err).Reason})
			rep.Sessions.LeftBehind += len(c.sessions)
			return nil
		}
		if err != nil {
			return fmt.Errorf("import identity %s: %w", k.ID, err)
		}
		rep.count(c.ident)
	}
	for _, s := range c.sessions {
		if err := im.session(ctx, s, rep); err != nil {
			return err
		}
	}
	return nil
}

func (im *importer) session(ctx context.Context, s *session.Session, rep *Report) error {
	_, err := im.opts.Target.GetSession(ctx, s.ID)
	switch {
	case err == nil:
		rep.Sessions.Present++
		return nil
	case !errors.Is(err, apierr.ErrNotFound):
		return fmt.Errorf("read session %s from portico: %w", s.ID, err)
	case im.opts.DryRun:
		rep.Sessions.Imported++
		return nil
	}
	err = im.opts.Target.CreateSession(ctx, s)
	if errors.Is(err, apierr.ErrConflict) {
		rep.Dropped = append(rep.Dropped, Problem{IdentityID: s.IdentityID.String(), What: "session " + s.ID.String(),
			Reason: "a session with this token already exists in Portico"})
		return nil
	}
	if err != nil {
		return fmt.Errorf("import session %s: %w", s.ID, err)
	}
	rep.Sessions.Imported++
	return nil
}
