package settings

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"time"

	"github.com/portico-auth/portico/internal/apierr"
	"github.com/portico-auth/portico/internal/flow"
	"github.com/portico-auth/portico/internal/identity"
	"github.com/portico-auth/portico/internal/session"
	"github.com/portico-auth/portico/internal/text"
)

// update is updateSettingsFlow: POST /self-service/settings?flow=.
func (h *Handler) update(w http.ResponseWriter, r *http.Request) {
	s, st, ok := h.sessionAndFlow(w, r)
	if !ok {
		return
	}
	body, err := decodeBody(r)
	if err != nil {
		h.deps.Errors.Write(w, r, err)
		return
	}
	if st.Expired(h.now()) {
		h.replaceExpired(w, r, s, st)
		return
	}
	if err := h.deps.Sessions.RequireAAL(s, h.opts.RequiredAAL, ""); err != nil {
		h.deps.Errors.Write(w, r, err)
		return
	}
	if err := h.deps.CSRF.VerifyFlow(r, st.Type, body.String("csrf_token")); err != nil {
		h.deps.Errors.Write(w, r, err)
		return
	}
	h.apply(w, r, s, st, body)
}

// sessionAndFlow finds the request's session and the ?flow= it may change; when either is
// missing or the flow is someone else's, it answers and ok is false.
func (h *Handler) sessionAndFlow(w http.ResponseWriter, r *http.Request) (*session.Session, *stored, bool) {
	s, ok := h.requireSession(w, r)
	if !ok {
		return nil, nil, false
	}
	// The parameter is judged before the flow is looked up: missing or malformed is a 400.
	id, err := flow.SubmittedID(r)
	var st *stored
	if err == nil {
		st, err = h.load(r.Context(), id.String())
	}
	if err == nil {
		err = h.owns(s, st)
	}
	if err != nil {
		h.deps.Errors.Write(w, r, err)
		return nil, nil, false
	}
	return s, st, true
}

// resume serves GET /self-service/settings?flow=, where a refresh login returns to: a change
// parked for want of a privileged session is applied now, without a second submit — but only
// for the session and browser (or app) that parked it, once that session is privileged and
// meets the flow's AAL (see continuity.go). A request that cannot prove it parked the change
// discards it and is shown the form.
func (h *Handler) resume(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	s, st, ok := h.sessionAndFlow(w, r)
	if !ok {
		return
	}
	// As for a submission, the session must meet the flow's AAL even to be shown the form.
	aalErr := h.deps.Sessions.RequireAAL(s, h.opts.RequiredAAL, "")
	show := func() {
		if aalErr != nil {
			h.deps.Errors.Write(w, r, aalErr)
			return
		}
		h.replyFlow(w, r, st, http.StatusOK, nil)
	}
	// This is the submission route too (Kratos serves updateSettingsFlow on GET): an expired
	// flow is replaced whether or not a change is parked.
	if st.Expired(h.now()) {
		h.replaceExpired(w, r, s, st)
		return
	}
	if st.Pending == "" {
		show()
		return
	}
	p, err := h.parked(ctx, st)
	if err != nil {
		h.deps.Errors.Write(w, r, err)
		return
	}
	if p == nil {
		// Consumed by a concurrent resume, or gone with its expiry: nothing to apply.
		show()
		return
	}
	if aalErr != nil || !p.provenBy(r, s, st) {
		// Not the parker, or a session that may no longer change settings at all (the
		// identity gained a higher level since): the change is dropped, not kept for later.
		h.discardParked(w, r, st, p, aalErr)
		return
	}
	if !h.privileged(s) {
		// The parker has not re-authenticated yet: the change waits for its refresh login.
		h.deps.Errors.Write(w, r, h.refreshRequired(st))
		return
	}
	won, err := h.consume(ctx, p.id)
	if err != nil {
		h.deps.Errors.Write(w, r, err)
		return
	}
	if !won {
		show()
		return
	}
	st.Pending = ""
	if st.Type == flow.TypeBrowser {
		http.SetCookie(w, h.continuityCookie("", time.Time{}))
	}
	body, err := h.openParked(p)
	if err != nil {
		// A rotated-away secret or a damaged record: the change is gone, show the form.
		flow.Logger(h.deps.Log).WarnContext(ctx, "discard parked settings change", "flow", st.ID, "error", err)
		if _, err := h.save(ctx, st); err != nil {
			h.deps.Errors.Write(w, r, err)
			return
		}
		show()
		return
	}
	h.apply(w, r, s, st, body)
}

// discardParked drops p, a parked change the request may not apply, and shows the flow's form
// again — or answers with reply when the session may not see the form either. Only the
// request that consumes p rewrites the flow, so a discard never overwrites the outcome of a
// concurrent resume that applied the change.
func (h *Handler) discardParked(w http.ResponseWriter, r *http.Request, st *stored, p *parkedChange, reply error) {
	ctx := r.Context()
	won, err := h.consume(ctx, p.id)
	var body []byte
	if err == nil && won {
		st.Pending = ""
		st.State = StateShowForm
		body, err = h.save(ctx, st)
	}
	if err != nil {
		h.deps.Errors.Write(w, r, err)
		return
	}
	if reply != nil {
		h.deps.Errors.Write(w, r, reply)
		return
	}
	h.replyFlow(w, r, st, http.StatusOK, body)
}

// apply runs the chosen method and answers with the outcome.
func (h *Handler) apply(w http.ResponseWriter, r *http.Request, s *session.Session, st *stored, body Body) {
	ctx := r.Context()
	st.UI.ResetMessages()
	// A new submission replaces a change parked earlier.
	if err := h.dropParked(ctx, st); err != nil {
		h.deps.Errors.Write(w, r, err)
		return
	}
	m := h.method(body.String("method"))
	if m == nil {
		m = h.claimant(body)
	}
	if m == nil {
		st.UI.AddMessage(text.New(text.ErrorValidationSettingsNoStrategy, nil))
		h.invalid(w, r, st)
		return
	}
	ident, err := h.sessionIdentity(ctx, s)
	if err != nil {
		h.deps.Errors.Write(w, r, err)
		return
	}
	// The session read loaded the identity with its credentials moments ago, so it is not read
	// again: the method changes a copy (the session's stays as the flow shows it), and the
	// store's version check refuses the write if the identity changed in between.
	ident = detach(ident)
	st.Active = m.ID()
	sub := newSubmission(r, s, ident, body, &st.Flow, h.deps.Sessions.Factors())
	sub.privileged, sub.save = h.privileged(s), h.deps.Identities.Update
	if h.opts.RevokeOtherSessions != nil && h.opts.RevokeOtherSessions(m.ID()) {
		sub.save = func(ctx context.Context, id *identity.Identity) error {
			return h.deps.Identities.UpdateRevokingSessions(ctx, id, s.ID)
		}
	}
	err = m.Update(ctx, &st.Flow, sub)
	switch {
	case errors.Is(err, ErrPrivilegeRequired):
		h.park(w, r, s, st, body)
		return
	case errors.Is(err, ErrInvalid):
		h.invalid(w, r, st)
		return
	case errors.Is(err, ErrReturnToUI):
		st.State = StateShowForm
		body, err := h.save(ctx, st)
		if err != nil {
			h.deps.Errors.Write(w, r, err)
			return
		}
		h.replyFlow(w, r, st, http.StatusOK, body)
		return
	case err != nil:
		h.deps.Errors.Write(w, r, err)
		return
	}
	token := ""
	if n := st.UI.Nodes.FindIn(flow.GroupDefault, "csrf_token"); n != nil && n.Input() != nil {
		token, _ = n.Input().Value.(string)
	}
	// The next form posts to a fresh flow, as Kratos does; this flow shows its form (showNext).
	next, _, err := h.create(ctx, r, st.Type, sub.Identity, st.ReturnTo, token, &st.Flow)
	if err != nil {
		h.deps.Errors.Write(w, r, err)
		return
	}
	st.showNext(&next.Flow)
	st.State = StateSuccess
	st.Active = "" // Kratos's success reply names no active method (recorded: settings-api-totp-enrolled)
	st.UI.AddMessage(text.NewSettingsSaved())
	saved, err := h.save(ctx, st)
	if err != nil {
		h.deps.Errors.Write(w, r, err)
		return
	}
	to := h.deps.ReturnTo.Resolve(st.ReturnTo) // kept as given; a relative one is resolved here
	if to == "" && h.opts.AfterURL != nil {
		to = h.opts.AfterURL(m.ID())
	}
	if to == "" {
		to = h.uiURL(st.ID)
	}
	if flow.WantsJSON(r) {
		if st.Type == flow.TypeBrowser {
			// A browser flow answered as JSON (an SPA) says where the browser would have been
			// sent, as Kratos does; it is part of this reply only, never stored with the flow.
			saved, err = appendMember(saved, "continue_with", []any{redirectBrowserTo{Action: "redirect_browser_to", RedirectBrowserTo: to}})
			if err != nil {
				h.deps.Errors.Write(w, r, apierr.ErrInternal.WithCause(err))
				return
			}
		}
		flow.ReplyEncoded(w, http.StatusOK, saved)
		return
	}
	flow.Redirect(w, r, to)
}

// detach returns a copy of id that a method can change without changing id: its own
// credentials map, identifier and address lists (raw JSON values are replaced by methods,
// never written into).
func detach(id *identity.Identity) *identity.Identity {
	c := *id
	if id.Credentials != nil {
		c.Credentials = make(map[identity.CredentialsType]identity.Credentials, len(id.Credentials))
		for t, cr := range id.Credentials {
			cr.Identifiers = slices.Clone(cr.Identifiers)
			c.Credentials[t] = cr
		}
	}
	c.VerifiableAddresses = slices.Clone(id.VerifiableAddresses)
	c.RecoveryAddresses = slices.Clone(id.RecoveryAddresses)
	return &c
}

// redirectBrowserTo is Kratos's continueWithRedirectBrowserTo.
type redirectBrowserTo struct {
	Action            string `json:"action"`
	RedirectBrowserTo string `json:"redirect_browser_to"`
}

// invalid stores the flow with its messages and shows it again: 400 for JSON, back to the UI
// for browsers. Secrets never travel back.
func (h *Handler) invalid(w http.ResponseWriter, r *http.Request, st *stored) {
	st.State = StateShowForm
	st.UI.Nodes.ClearValues(flow.InputPassword)
	body, err := h.save(r.Context(), st)
	if err != nil {
		h.deps.Errors.Write(w, r, err)
		return
	}
	h.replyFlow(w, r, st, http.StatusBadRequest, body)
}

// replyFlow shows st: JSON callers get body (st as save encoded it; nil encodes it now),
// browsers are sent to the UI.
func (h *Handler) replyFlow(w http.ResponseWriter, r *http.Request, st *stored, status int, body []byte) {
	if flow.WantsJSON(r) {
		if body == nil {
			e, err := encode(st, h.sealer)
			if err != nil {
				h.deps.Errors.Write(w, r, apierr.ErrInternal.WithCause(err))
				return
			}
			body = e.body
		}
		flow.ReplyEncoded(w, status, body)
		return
	}
	flow.Redirect(w, r, h.uiURL(st.ID))
}

// park keeps the submission, sealed, as the flow's parked change, bound to session s (and to
// this browser for a browser flow), and asks for a refresh login that returns to
// GET /self-service/settings?flow=<id>, where it is applied.
func (h *Handler) park(w http.ResponseWriter, r *http.Request, s *session.Session, st *stored, body Body) {
	delete(body, "csrf_token")
	delete(body, formMarker)
	if err := h.parkChange(r.Context(), w, s, st, body); err != nil {
		h.deps.Errors.Write(w, r, err)
		return
	}
	st.UI.Nodes.ClearValues(flow.InputPassword)
	if _, err := h.save(r.Context(), st); err != nil {
		h.deps.Errors.Write(w, r, err)
		return
	}
	h.deps.Errors.Write(w, r, h.refreshRequired(st))
}

// refreshRequired is 403 session_refresh_required; redirect_browser_to is only at the top
// level of the reply, as Kratos sends it.
func (h *Handler) refreshRequired(st *stored) *apierr.Error {
	back := st.ActionURL(h.opts.Public, ActionPath)
	to := h.loginBrowserURL(url.Values{"refresh": {"true"}, "return_to": {back}})
	return apierr.ErrForbidden.WithID("session_refresh_required").
		WithReason("The login session is too old and thus not allowed to update these fields. Please re-authenticate.").
		WithRedirect(to)
}

// replaceExpired answers a submission to an expired flow: a new flow carrying message 4050001,
// and 410 self_service_flow_expired pointing to it (browser forms are sent to it instead).
func (h *Handler) replaceExpired(w http.ResponseWriter, r *http.Request, s *session.Session, st *stored) {
	now := h.now()
	token := ""
	if st.Type == flow.TypeBrowser {
		token = h.deps.CSRF.Token(w, r)
	}
	ident, err := h.sessionIdentity(r.Context(), s)
	if err != nil {
		h.deps.Errors.Write(w, r, err)
		return
	}
	next, _, err := h.create(r.Context(), r, st.Type, ident, st.ReturnTo, token, nil)
	if err != nil {
		h.deps.Errors.Write(w, r, err)
		return
	}
	next.UI.AddMessage(text.NewSettingsFlowExpired(st.ExpiresAt, now))
	if _, err := h.save(r.Context(), next); err != nil {
		h.deps.Errors.Write(w, r, err)
		return
	}
	if !flow.WantsJSON(r) {
		flow.Redirect(w, r, h.uiURL(next.ID))
		return
	}
	st.WriteExpired(w, r, now, next.ID)
}
