package settings

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/google/uuid"

	"github.com/portico-auth/portico/internal/apierr"
	"github.com/portico-auth/portico/internal/flow"
	"github.com/portico-auth/portico/internal/httpx"
	"github.com/portico-auth/portico/internal/session"
	"github.com/portico-auth/portico/internal/store"
)

var (
	// errNoSession is the 401 of reading or submitting a flow without a session: Kratos sends
	// it without an error id, with its own reason (creating a flow answers session_inactive
	// instead: that comes from the session layer's Authorize).
	errNoSession = apierr.ErrUnauthorized.WithReason("A valid Ory Session Cookie or Ory Session Token is missing.")
	// ErrIdentityMismatch is the 403 for a flow that belongs to another identity.
	ErrIdentityMismatch = apierr.ErrForbidden.WithID("security_identity_mismatch").
				WithReason("The settings flow belongs to another identity. Initialize a new settings flow.")
)

// get is getSettingsFlow: GET /self-service/settings/flows?id=. Errors are always JSON except
// for a browser without a session, which is sent to the login UI.
func (h *Handler) get(w *flow.Responder, r *http.Request) error {
	raw := r.URL.Query().Get("id")
	r = prefetchFlow(r, raw)
	ctx := r.Context()
	s, err := h.requireSession(w, r)
	if s == nil {
		return err
	}
	rec, err := h.loadRecord(ctx, raw)
	if err != nil {
		return err
	}
	// The record's columns say whose flow it is and until when.
	if rec.IdentityID == nil || *rec.IdentityID != s.IdentityID {
		return ErrIdentityMismatch
	}
	// Reading a flow needs the AAL creating and submitting one need: the flow shows the
	// identity and may show secrets (a TOTP key, recovery codes awaiting confirmation).
	if err := h.Sessions.RequireAAL(s, h.opts.RequiredAAL, ""); err != nil {
		return err
	}
	if !h.Time().Before(rec.ExpiresAt) {
		st, err := decode(rec, h.sealer)
		if err != nil {
			return apierr.ErrInternal.WithCause(err)
		}
		return st.GoneForRead(h.Public, Kind)
	}
	// The opened column and the reply hold secrets in clear (the TOTP key): their pooled
	// buffers are zeroed when they go back.
	opened := getBuf(openedSize(rec))
	defer putCleared(opened)
	p, plain, err := openPrivateInto(rec, h.sealer, *opened)
	*opened = plain
	if err != nil {
		return apierr.ErrInternal.WithCause(err)
	}
	if !hasOnceFor(p.Secrets, s.ID) {
		// The stored document is the reply once the identity is attached and the sealed
		// secret nodes (if any) are spliced back in: the flow is never decoded.
		shown, err := h.shown.encode(s.Identity, h.public)
		if err != nil {
			return apierr.ErrInternal.WithCause(err)
		}
		reply := getBuf(servedSize(rec.Data, p.Secrets, shown))
		defer putCleared(reply)
		if *reply, err = buildServed(*reply, rec.Data, p.Secrets, p.dataLen, shown); err != nil {
			return apierr.ErrInternal.WithCause(err)
		}
		// Writing does not keep the reply (io.Writer's contract): its buffer serves a later read.
		return w.ReplyEncoded(http.StatusOK, *reply)
	}
	// A secret shown once waits for this session: show it and drop it from the stored flow.
	st, err := decode(rec, h.sealer)
	if err != nil {
		return apierr.ErrInternal.WithCause(err)
	}
	st.Identity = s.Identity.Public(h.public)
	var body []byte
	if st.takeOnce(s.ID) {
		if body, err = h.save(ctx, st); err != nil {
			return err
		}
	}
	return h.showFlow(w, st, http.StatusOK, body)
}

// requireSession finds the request's session. Without one, a JSON caller gets 401 (without an
// error id) and a browser a 302 to the login UI: the session is then nil, with the error to
// return (nil once the browser is redirected).
func (h *Handler) requireSession(w *flow.Responder, r *http.Request) (*session.Session, error) {
	s, err := h.Sessions.FromRequest(r.Context(), r)
	if err == nil {
		return s, nil
	}
	if !errors.Is(err, session.ErrNoActiveSession) {
		return nil, err
	}
	if !w.WantsJSON() {
		httpx.NoStore(w)
		http.Redirect(w, r, h.opts.LoginUIURL, http.StatusFound)
		return nil, nil
	}
	return nil, errNoSession
}

// load finds a settings flow by its id; a malformed or unknown id is 404.
func (h *Handler) load(ctx context.Context, raw string) (*stored, error) {
	rec, err := h.loadRecord(ctx, raw)
	if err != nil {
		return nil, err
	}
	st, err := decode(rec, h.sealer)
	if err != nil {
		return nil, apierr.ErrInternal.WithCause(err)
	}
	return st, nil
}

// loadSubmitted is load for a submission: the flow's kept secret nodes stay deferred (see
// decodeSubmitted).
func (h *Handler) loadSubmitted(ctx context.Context, raw string) (*stored, error) {
	rec, err := h.loadRecord(ctx, raw)
	if err != nil {
		return nil, err
	}
	st, err := decodeSubmitted(rec, h.sealer, defaultGroup)
	if err != nil {
		return nil, apierr.ErrInternal.WithCause(err)
	}
	return st, nil
}

// loadRecord finds a settings flow's record by its id; a malformed or unknown id is 404.
func (h *Handler) loadRecord(ctx context.Context, raw string) (*store.FlowRecord, error) {
	id, err := uuid.Parse(raw)
	if err != nil {
		return nil, h.NotFound()
	}
	if rec, ok := store.TakePrefetchedFlow(ctx, Kind, id); ok {
		// Read with the session (prefetchFlow).
		if rec == nil {
			return nil, h.NotFound()
		}
		return rec, nil
	}
	rec, err := h.deps.Store.GetFlow(ctx, Kind, id)
	if errors.Is(err, apierr.ErrNotFound) {
		return nil, h.NotFound()
	}
	if err != nil {
		return nil, fmt.Errorf("load settings flow: %w", err)
	}
	return rec, nil
}

// prefetchFlow returns r asking its session read to read the settings flow raw names too
// (store.FlowPrefetch: one round trip on a database server instead of two), for loadRecord to
// take; r itself when raw is no flow id.
func prefetchFlow(r *http.Request, raw string) *http.Request {
	id, err := uuid.Parse(raw)
	if err != nil || id == uuid.Nil {
		return r
	}
	return r.WithContext(store.WithFlowPrefetch(r.Context(), &store.FlowPrefetch{Kind: Kind, ID: id}))
}

// prefetching is next with the ?flow= settings flow read by the request's session read
// (prefetchFlow): the submission and resume routes read the session, then that flow.
func prefetching(next func(*flow.Responder, *http.Request) error) func(*flow.Responder, *http.Request) error {
	return func(w *flow.Responder, r *http.Request) error {
		return next(w, prefetchFlow(r, r.URL.Query().Get("flow")))
	}
}

// save stores st and returns it encoded as a reply shows it.
func (h *Handler) save(ctx context.Context, st *stored) ([]byte, error) {
	e, err := encode(st, h.sealer)
	if err != nil {
		return nil, apierr.ErrInternal.WithCause(err)
	}
	if err := h.storeRecord(ctx, e.rec); err != nil {
		return nil, err
	}
	return e.body, nil
}

// storeRecord writes the record of a flow that was stored before.
func (h *Handler) storeRecord(ctx context.Context, rec *store.FlowRecord) error {
	err := h.deps.Store.UpdateFlow(ctx, rec)
	if errors.Is(err, apierr.ErrNotFound) {
		// The identity's flow cap removed this flow while the request used it (the flow made
		// after a successful update counts against the cap): it is stored again, so a change
		// that was applied is answered as such.
		err = h.deps.Store.CreateFlow(ctx, rec)
	}
	if err != nil {
		return fmt.Errorf("store settings flow: %w", err)
	}
	return nil
}

// owns checks that st belongs to s's identity and attaches that identity to it: a flow is
// stored without its identity and shows the identity as it is now, as Kratos does.
func (h *Handler) owns(s *session.Session, st *stored) error {
	if !st.ownedBy(s.IdentityID) || s.Identity == nil {
		return ErrIdentityMismatch
	}
	st.Identity = s.Identity.Public(h.public)
	return nil
}
