package settings

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"time"

	"github.com/google/uuid"

	"github.com/portico-auth/portico/internal/apierr"
	"github.com/portico-auth/portico/internal/audit"
	"github.com/portico-auth/portico/internal/flow"
	"github.com/portico-auth/portico/internal/flow/form"
	"github.com/portico-auth/portico/internal/identity"
	"github.com/portico-auth/portico/internal/session"
	"github.com/portico-auth/portico/internal/store"
	"github.com/portico-auth/portico/internal/text"
)

// update is updateSettingsFlow: POST /self-service/settings?flow=.
func (h *Handler) update(w *flow.Responder, r *http.Request) error {
	s, st, err := h.sessionAndFlow(w, r, true)
	if st == nil {
		return err
	}
	body, err := form.Decode(r)
	if err != nil {
		return err
	}
	if st.Expired(h.Time()) {
		return h.replaceExpired(w, r, s, st)
	}
	if err := h.Sessions.RequireAAL(s, h.opts.RequiredAAL, ""); err != nil {
		return err
	}
	if err := h.Verify(r, st, body); err != nil {
		return err
	}
	return h.apply(w, r, s, st, body)
}

// sessionAndFlow finds the request's session and the ?flow= it may change, and tells w the
// flow's type; when either is missing or the flow is someone else's, the flow is nil, with
// the error to return (see requireSession). A submission's flow is read with its kept secret
// nodes deferred (see decodeSubmitted).
func (h *Handler) sessionAndFlow(w *flow.Responder, r *http.Request, submission bool) (*session.Session, *stored, error) {
	s, err := h.requireSession(w, r)
	if s == nil {
		return nil, nil, err
	}
	// The parameter is judged before the flow is looked up: missing or malformed is a 400.
	id, err := flow.SubmittedID(r)
	if err != nil {
		return nil, nil, err
	}
	load := h.load
	if submission {
		load = h.loadSubmitted
	}
	st, err := load(r.Context(), id.String())
	if err != nil {
		return nil, nil, err
	}
	if err := h.owns(s, st); err != nil {
		return nil, nil, err
	}
	w.SetType(st.Type)
	return s, st, nil
}

// resume serves GET /self-service/settings?flow=, where a refresh login returns to: a change
// parked for want of a privileged session is applied now, without a second submit — but only
// for the session and browser (or app) that parked it, once that session is privileged and
// meets the flow's AAL (see continuity.go). A request that cannot prove it parked the change
// discards it and is shown the form.
func (h *Handler) resume(w *flow.Responder, r *http.Request) error {
	ctx := r.Context()
	s, st, err := h.sessionAndFlow(w, r, false)
	if st == nil {
		return err
	}
	// As for a submission, the session must meet the flow's AAL even to be shown the form.
	aalErr := h.Sessions.RequireAAL(s, h.opts.RequiredAAL, "")
	show := func() error {
		if aalErr != nil {
			return aalErr
		}
		return h.showFlow(w, st, http.StatusOK, nil)
	}
	// This is the submission route too (Kratos serves updateSettingsFlow on GET): an expired
	// flow is replaced whether or not a change is parked.
	if st.Expired(h.Time()) {
		return h.replaceExpired(w, r, s, st)
	}
	if st.Pending == "" {
		return show()
	}
	p, err := h.parked(ctx, st)
	if err != nil {
		return err
	}
	if p == nil {
		// Consumed by a concurrent resume, or gone with its expiry: nothing to apply.
		return show()
	}
	if aalErr != nil || !p.provenBy(r, s, st) {
		// Not the parker, or a session that may no longer change settings at all (the
		// identity gained a higher level since): the change is dropped, not kept for later.
		return h.discardParked(w, r, st, p, aalErr)
	}
	ident, err := h.sessionIdentity(ctx, s)
	if err != nil {
		return err
	}
	if !h.privileged(s, ident) {
		// The parker has not re-authenticated yet (with every factor its identity has): the
		// change waits for its refresh login.
		return h.refreshRequired(st, s)
	}
	won, err := h.consume(ctx, p.id)
	if err != nil {
		return err
	}
	if !won {
		return show()
	}
	st.Pending = ""
	if st.Type == flow.TypeBrowser {
		http.SetCookie(w, h.continuityCookie("", time.Time{}))
	}
	body, err := h.openParked(p)
	if err != nil {
		// A rotated-away secret or a damaged record: the change is gone, show the form.
		w.Log().WarnContext(ctx, "discard parked settings change", "flow", st.ID, "error", err)
		if _, err := h.save(ctx, st); err != nil {
			return err
		}
		return show()
	}
	return h.apply(w, r, s, st, body)
}

// discardParked drops p, a parked change the request may not apply, and shows the flow's form
// again — or answers with reply when the session may not see the form either. Only the
// request that consumes p rewrites the flow, so a discard never overwrites the outcome of a
// concurrent resume that applied the change.
func (h *Handler) discardParked(w *flow.Responder, r *http.Request, st *stored, p *parkedChange, reply error) error {
	ctx := r.Context()
	won, err := h.consume(ctx, p.id)
	var body []byte
	if err == nil && won {
		st.Pending = ""
		st.State = StateShowForm
		body, err = h.save(ctx, st)
	}
	if err != nil {
		return err
	}
	if reply != nil {
		return reply
	}
	return h.showFlow(w, st, http.StatusOK, body)
}

// apply runs the chosen method and answers with the outcome.
func (h *Handler) apply(w *flow.Responder, r *http.Request, s *session.Session, st *stored, body form.Values) error {
	ctx := r.Context()
	st.resetMessages()
	// A new submission replaces a change parked earlier.
	if err := h.dropParked(ctx, st); err != nil {
		return err
	}
	m := h.method(body.String("method"))
	if m == nil {
		m = h.claimant(body)
	}
	if m == nil {
		st.UI.AddMessage(text.New(text.ErrorValidationSettingsNoStrategy, nil))
		return h.invalid(w, r, st)
	}
	return h.run(w, r, s, st, body, m, m.Update)
}

// run applies change, a submission of body to method m (or a change m completes later, see
// Continue), to the session's identity and answers with the outcome.
func (h *Handler) run(w *flow.Responder, r *http.Request, s *session.Session, st *stored, body form.Values, m Method, change func(context.Context, *Flow, *Submission) error) error {
	ctx := r.Context()
	ident, err := h.sessionIdentity(ctx, s)
	if err != nil {
		return err
	}
	if h.enrolOnly(s.AAL, ident) && !h.enrols(m) {
		// Forced enrolment: nothing but the enrolment the flow offers is accepted.
		st.UI.AddMessage(text.New(text.ErrorValidationSettingsNoStrategy, nil))
		return h.invalid(w, r, st)
	}
	// The session read loaded the identity with its credentials moments ago, so it is not read
	// again: the method changes a copy (the session's stays as the flow shows it), and the
	// store's version check refuses the write if the identity changed in between.
	before := ident
	ident = ident.Clone()
	if !h.ownNodesOnly(m) {
		// The method may look at or rearrange any node, and the hooks send the flow.
		if err := restored(st); err != nil {
			return err
		}
	} else {
		// The method decodes its own nodes when it needs them (Flow.OwnNodes); a method's
		// group is named as it is.
		st.ownGroup = flow.Group(m.ID())
	}
	st.Active = m.ID()
	sub := newSubmission(r, s, ident, body, &st.Flow, h.Sessions.Factors())
	sub.privileged, sub.redirected = h.privileged(s, before), !w.JSON()
	sub.keepSecond = h.secondFactorRequired(before)
	sub.save = func(ctx context.Context, id *identity.Identity) error {
		ctx = h.audited(ctx, r, s, m, before, id)
		return h.deps.Identities.UpdateRevokingSessions(ctx, id, s.ID, func(after *identity.Identity) bool {
			return h.revokesOthers(m, before, after)
		})
	}
	// A method's last save (Submission.Finish) stores the change with the flows its success
	// shows, in one transaction.
	var done *success
	sub.finish = func(ctx context.Context, id *identity.Identity) error {
		ctx = h.audited(ctx, r, s, m, before, id)
		return h.deps.Identities.UpdateWith(ctx, id, func(ctx context.Context, id *identity.Identity) error {
			var (
				sc     *success
				revoke *uuid.UUID
			)
			if h.revokesOthers(m, before, id) {
				revoke = &s.ID
			}
			err := h.deps.Store.UpdateIdentityWith(ctx, id, store.IdentityWrites{
				RevokeSessionsExcept: revoke,
				// The session read loaded it in one statement (or from the store's memory of
				// that version): the store need not read the child rows again.
				Stored: before,
				Flows: func(view *identity.Identity) ([]store.FlowWrite, error) {
					var err error
					if sc, err = h.success(ctx, r, s, st, view); err != nil {
						return nil, err
					}
					return []store.FlowWrite{{Record: sc.nextRec, Create: true}, {Record: sc.rec}}, nil
				},
			})
			if err == nil {
				done = sc
			} else {
				// Not stored (the manager may try again, with flows built anew).
				sc.release()
			}
			return err
		})
	}
	// The after hooks that may refuse the change or set traits and metadata run when the
	// method saves the identity (identity.Manager), before anything is written.
	err = change(h.PrePersist(r, &st.Flow, m.ID()), &st.Flow, sub)
	if err != nil {
		// Every outcome but a success shows or stores st again, with all its nodes.
		if err := restored(st); err != nil {
			return err
		}
	}
	if fe, ok := flow.AsFormError(err); ok {
		st.UI.ShowMessages(fe.Messages, fe.Nodes)
		return h.invalid(w, r, st)
	}
	switch {
	case errors.Is(err, ErrPrivilegeRequired) && body == nil:
		// A change completed outside a submission has nothing to park: the person submits
		// again after the refresh login.
		return h.refreshRequired(st, s)
	case errors.Is(err, ErrPrivilegeRequired):
		return h.park(w, r, s, st, body)
	case errors.Is(err, ErrInvalid):
		return h.invalid(w, r, st)
	case errors.Is(err, ErrIdentityDeleted):
		return h.deleted(w, st)
	case errors.Is(err, ErrReturnToUI):
		st.State = StateShowForm
		body, err := h.save(ctx, st)
		if err != nil {
			return err
		}
		return h.showFlow(w, st, http.StatusOK, body)
	case err != nil:
		return err
	}
	if h.deps.Changed != nil {
		h.deps.Changed(r, before, sub.Identity)
	}
	if err := h.RunAfter(r, &st.Flow, m.ID(), sub.Identity, s); err != nil {
		return err
	}
	h.SendAfter(r, &st.Flow, m.ID(), sub.Identity, s)
	var cw []flow.ContinueWith
	if h.deps.Verification != nil {
		if cw, err = h.deps.Verification.StartChanged(w, r, before, sub.Identity, st.ReturnTo); err != nil {
			// The change is stored; the person can ask for a verification message later.
			w.Log().WarnContext(ctx, "start verification after a settings change", "identity_id", sub.Identity.ID, "error", err)
		}
	}
	if done != nil {
		// Stored with the change; the flow cap is kept after the commit (a read, mostly). The
		// reply is written when succeeded returns.
		defer done.release()
		*st = *done.st
		if err := h.trim(ctx, sub.Identity.ID, done.nextRec.ID); err != nil {
			return err
		}
		return h.succeeded(w, st, m, done.body, cw)
	}
	return h.succeed(w, r, s, st, m, sub.Identity, cw)
}

// markSent shows the addresses verification messages just went to as "sent", as the
// verification flow stored them.
func markSent(ident *identity.Identity, cw []flow.ContinueWith) {
	for _, c := range cw {
		for i, a := range ident.VerifiableAddresses {
			if c.Flow != nil && a.Value == c.Flow.VerifiableAddress && !a.Verified {
				ident.VerifiableAddresses[i].Status = "sent"
			}
		}
	}
}

// audited returns ctx carrying the audit events of the change from before to id that session s
// makes with method m, computed when the store writes id (once the manager has derived its
// addresses): one per change, and one session_revoked for the other sessions the write
// ended (revokesOthers), with their number and why, however many they were.
func (h *Handler) audited(ctx context.Context, r *http.Request, s *session.Session, m Method, before, id *identity.Identity) context.Context {
	if h.deps.Audit == nil {
		return ctx
	}
	ctx, revoked := audit.WithRevoked(ctx)
	return h.deps.Audit.WithFunc(ctx, r, false, func() []audit.Event {
		evs := audit.Changes(before, id, audit.BySelf)
		if n := revoked.N(); n > 0 {
			reason := audit.ReasonCredentialChange
			if h.opts.RevokeOtherSessions != nil && h.opts.RevokeOtherSessions(m.ID()) {
				reason = audit.ReasonRevokeHook
			}
			evs = append(evs, audit.New(audit.SessionRevoked, id.ID, map[string]any{
				"by": audit.BySelf, "others": true, "count": n, "reason": reason, "method": m.ID(),
			}))
		}
		for i := range evs {
			evs[i] = evs[i].WithSession(s.ID)
		}
		return evs
	})
}

// revokesOthers reports whether storing after (the identity was before) ends the identity's
// other sessions in the same transaction: when the method's settings hooks include
// revoke_active_sessions (Kratos's way), or, with RevokeOnCredentialChange, when the change
// touches a credential or the recovery addresses, so that a credential an attacker may know
// never outlives the change that replaced it.
func (h *Handler) revokesOthers(m Method, before, after *identity.Identity) bool {
	if h.opts.RevokeOtherSessions != nil && h.opts.RevokeOtherSessions(m.ID()) {
		return true
	}
	return h.opts.RevokeOnCredentialChange && len(identity.CredentialChanges(before, after)) > 0
}

// success is a change's outcome before it is stored: the submitted flow in its success state
// and the fresh flow it shows, both encoded.
type success struct {
	st      *stored
	rec     *store.FlowRecord // st's record
	body    []byte            // st's reply
	nextRec *store.FlowRecord // the fresh flow's record, to insert
	// e and next are st's and the fresh flow's encodings, which rec, body and nextRec are in
	// (e shows next's nodes: it borrows next's node buffer, see encodeShowing).
	e, next encoded
}

// release gives sc's buffers back to the pool (see encoded.release): both records are stored
// (or their write failed) and the reply is written. With every second factor on they are
// about 48 KB a profile update, which the collector had to take otherwise.
func (sc *success) release() {
	if sc == nil {
		return
	}
	sc.e.release()
	sc.next.release()
	sc.rec, sc.body, sc.nextRec = nil, nil, nil
}

// success builds the outcome of a change of st stored as ident (with its credentials): the
// flow shows the form of a fresh flow (as Kratos does) with message 1050001. st itself is not
// changed (the outcome is a copy), so a store that refuses the change leaves it as it was.
func (h *Handler) success(ctx context.Context, r *http.Request, s *session.Session, st *stored, ident *identity.Identity) (*success, error) {
	token := ""
	if n := st.UI.Nodes.FindIn(flow.GroupDefault, "csrf_token"); n != nil && n.Input() != nil {
		token, _ = n.Input().Value.(string)
	}
	// The next form posts to a fresh flow, as Kratos does; this flow shows its form (showNext).
	// An enrolment that lifted the session to aal2 opens the whole form again.
	// next is never shown on its own here: it is built without a reply body.
	next, ne, err := h.buildFlow(ctx, r, flowSpec{Type: st.Type, Identity: ident, Bodyless: true, ReturnTo: st.ReturnTo,
		CSRFToken: token, From: &st.Flow, EnrolOnly: h.enrolOnly(s.AAL, ident)})
	if err != nil {
		return nil, err
	}
	done := *st
	done.UI.Messages = slices.Clone(st.UI.Messages)
	done.showNext(&next.Flow)
	// st's nodes are not shown: the deferred ones are not either.
	done.deferred, done.deferredReset = nil, false
	done.lazy, done.lazyReset, done.ownGroup = nil, false, ""
	done.State = StateSuccess
	done.Active = "" // Kratos's success reply names no active method (recorded: settings-api-totp-enrolled)
	done.UI.AddMessage(text.NewSettingsSaved())
	// done shows next's nodes as they are: their JSON is next's, encoded once.
	e, err := encodeShowing(&done, h.sealer, ne)
	if err != nil {
		ne.release()
		return nil, apierr.ErrInternal.WithCause(err)
	}
	return &success{st: &done, rec: e.rec, body: e.body, nextRec: ne.rec, e: e, next: ne}, nil
}

// succeed stores and answers a change that a method stored on its own (Submission.Save): the
// fresh flow, then st's success.
func (h *Handler) succeed(w *flow.Responder, r *http.Request, s *session.Session, st *stored, m Method, ident *identity.Identity, cw []flow.ContinueWith) error {
	ctx := r.Context()
	sc, err := h.success(ctx, r, s, st, ident)
	if err != nil {
		return err
	}
	// The records are stored and the reply written when succeeded returns.
	defer sc.release()
	if err := h.deps.Store.CreateFlow(ctx, sc.nextRec); err != nil {
		return fmt.Errorf("store settings flow: %w", err)
	}
	if err := h.trim(ctx, ident.ID, sc.nextRec.ID); err != nil {
		return err
	}
	if err := h.storeRecord(ctx, sc.rec); err != nil {
		return err
	}
	*st = *sc.st
	return h.succeeded(w, st, m, sc.body, cw)
}

// succeeded answers a stored success of st (saved is its reply): a browser goes to the flow's
// return_to, the method's after URL, or back to the settings UI. cw, the verification flows the
// change started, is part of a JSON reply's continue_with (and their addresses show as sent).
func (h *Handler) succeeded(w *flow.Responder, st *stored, m Method, saved []byte, cw []flow.ContinueWith) error {
	var err error
	if len(cw) > 0 && st.Identity != nil {
		markSent(st.Identity, cw)
		e, err := encode(st, h.sealer)
		if err != nil {
			return apierr.ErrInternal.WithCause(err)
		}
		defer e.release()
		saved = e.body
	}
	fallback := ""
	if h.opts.AfterURL != nil {
		fallback = h.opts.AfterURL(m.ID())
	}
	if fallback == "" {
		fallback = h.UI(st.ID)
	}
	to := h.Target(st.ReturnTo, fallback)
	if !w.JSON() {
		return w.Redirect(to)
	}
	if st.Type == flow.TypeBrowser {
		// A browser flow answered as JSON (an SPA) says where the browser would have been
		// sent, as Kratos does; it is part of this reply only, never stored with the flow.
		cw = append(cw, flow.RedirectBrowserTo(to))
	}
	if len(cw) > 0 {
		if saved, err = appendMember(saved, "continue_with", cw); err != nil {
			return apierr.ErrInternal.WithCause(err)
		}
	}
	return w.ReplyEncoded(http.StatusOK, saved)
}

// deleted answers a submission after which the identity is gone (ErrIdentityDeleted), its
// sessions and this flow with it: a browser's session cookie is cleared and the browser sent
// to the flow's return_to or else the login UI (303; an SPA gets 200 with that place as
// continue_with redirect_browser_to); an app gets 200 with an empty continue_with, its token
// being dead. There is no flow left to show.
func (h *Handler) deleted(w *flow.Responder, st *stored) error {
	if st.Type == flow.TypeBrowser {
		h.Sessions.ClearCookie(w)
	}
	res := struct {
		ContinueWith []flow.ContinueWith `json:"continue_with"`
	}{ContinueWith: []flow.ContinueWith{}}
	return w.Finish(&res, &res.ContinueWith, h.Target(st.ReturnTo, h.opts.LoginUIURL))
}

// invalid stores the flow with its messages and shows it again: 400 for JSON, back to the UI
// for browsers. Secrets never travel back.
func (h *Handler) invalid(w *flow.Responder, r *http.Request, st *stored) error {
	if err := restored(st); err != nil {
		return err
	}
	st.State = StateShowForm
	st.UI.Nodes.ClearValues(flow.InputPassword)
	body, err := h.save(r.Context(), st)
	if err != nil {
		return err
	}
	return h.showFlow(w, st, http.StatusBadRequest, body)
}

// showFlow shows st: JSON callers get body (st as save encoded it; nil encodes it now),
// browsers are sent to the UI.
func (h *Handler) showFlow(w *flow.Responder, st *stored, status int, body []byte) error {
	if body == nil && w.JSON() {
		e, err := encode(st, h.sealer)
		if err != nil {
			return apierr.ErrInternal.WithCause(err)
		}
		body = e.body
	}
	return w.ShowEncoded(status, body, h.UI(st.ID))
}

// park keeps the submission, sealed, as the flow's parked change, bound to session s (and to
// this browser for a browser flow), and asks for a refresh login that returns to
// GET /self-service/settings?flow=<id>, where it is applied.
func (h *Handler) park(w *flow.Responder, r *http.Request, s *session.Session, st *stored, body form.Values) error {
	if err := restored(st); err != nil {
		return err
	}
	change := body.Fields()
	delete(change, "csrf_token")
	if err := h.parkChange(r.Context(), w, s, st, change); err != nil {
		return err
	}
	st.UI.Nodes.ClearValues(flow.InputPassword)
	if _, err := h.save(r.Context(), st); err != nil {
		return err
	}
	return h.refreshRequired(st, s)
}

// refreshRequired is 403 session_refresh_required; redirect_browser_to is only at the top
// level of the reply, as Kratos sends it. It points to a refresh login, which asks for every
// factor the identity has; when s proved its first factor recently and lacks only the second
// (a recovery session, or a refresh left after its first step), to the second-factor refresh.
func (h *Handler) refreshRequired(st *stored, s *session.Session) *apierr.Error {
	back := st.ActionURL(h.Public, ActionPath)
	q := url.Values{"refresh": {"true"}, "return_to": {back}}
	if h.Sessions.FreshFirstFactor(s, h.opts.PrivilegedMaxAge) {
		q.Set("aal", string(session.AAL2))
	}
	to := h.loginBrowserURL(q)
	return apierr.ErrForbidden.WithID("session_refresh_required").
		WithReason("The login session is too old and thus not allowed to update these fields. Please re-authenticate.").
		WithRedirect(to)
}

// replaceExpired answers a submission to an expired flow: a new flow carrying message 4050001,
// and 410 self_service_flow_expired pointing to it (browser forms are sent to it instead).
func (h *Handler) replaceExpired(w *flow.Responder, r *http.Request, s *session.Session, st *stored) error {
	token := ""
	if st.Type == flow.TypeBrowser {
		token = h.CSRF.Token(w, r)
	}
	ident, err := h.sessionIdentity(r.Context(), s)
	if err != nil {
		return err
	}
	next, first, err := h.newFlow(r.Context(), r, flowSpec{Type: st.Type, Identity: ident, ReturnTo: st.ReturnTo, CSRFToken: token,
		EnrolOnly: h.enrolOnly(s.AAL, ident)})
	if err != nil {
		return err
	}
	first.release()
	next.UI.AddMessage(text.NewSettingsFlowExpired(st.ExpiresAt, h.Time()))
	if _, err := h.save(r.Context(), next); err != nil {
		return err
	}
	return h.Expired(w, st, next)
}

// ownNodesOnly reports whether a submission to m may leave the flow's kept secret nodes
// deferred (see decodeSubmitted): m says it touches only its own nodes (OwnNodesOnly), and no
// web hook of m's is sent the flow.
func (h *Handler) ownNodesOnly(m Method) bool {
	_, ok := m.(OwnNodesOnly)
	return ok && !h.HasAfterHooks(m.ID())
}

// restored puts st's deferred secret nodes in place (see restoreDeferred).
func restored(st *stored) error {
	if err := st.restoreDeferred(); err != nil {
		return apierr.ErrInternal.WithCause(fmt.Errorf("decode settings flow %s: %w", st.ID, err))
	}
	return nil
}
