package login

import (
	"context"
	"errors"
	"net/http"

	"github.com/google/uuid"

	"github.com/portico-auth/portico/internal/apierr"
	"github.com/portico-auth/portico/internal/flow"
	"github.com/portico-auth/portico/internal/httpx"
	"github.com/portico-auth/portico/internal/identity"
	"github.com/portico-auth/portico/internal/session"
	"github.com/portico-auth/portico/internal/text"
)

// options are what a new login flow is asked for.
type options struct {
	refresh  bool
	aal      session.AAL
	returnTo string
}

func parseAAL(s string) (session.AAL, error) {
	switch s {
	case "", string(session.AAL1):
		return session.AAL1, nil
	case string(session.AAL2):
		return session.AAL2, nil
	default:
		return "", ErrInvalidAAL
	}
}

func (h *Handler) createBrowser(w http.ResponseWriter, r *http.Request) {
	h.create(w, r, flow.TypeBrowser)
}

func (h *Handler) createNative(w http.ResponseWriter, r *http.Request) {
	h.create(w, r, flow.TypeAPI)
}

func (h *Handler) fail(w http.ResponseWriter, r *http.Request, t flow.Type, err error) {
	if t == flow.TypeAPI {
		httpx.WriteError(w, r, err)
		return
	}
	h.Errors.Write(w, r, err)
}

// create answers createBrowserLoginFlow and createNativeLoginFlow (login_challenge, organization
// and via are accepted and ignored).
func (h *Handler) create(w http.ResponseWriter, r *http.Request, t flow.Type) {
	ctx := r.Context()
	q := r.URL.Query()
	aal, err := parseAAL(q.Get("aal"))
	if err != nil {
		h.fail(w, r, t, err)
		return
	}
	opts := options{refresh: q.Get("refresh") == "true", aal: aal}
	if rt, err := h.ReturnTo.Check(q.Get("return_to")); err != nil {
		h.fail(w, r, t, err)
		return
	} else if rt != nil {
		opts.returnTo = rt.String()
	}
	sess, err := h.session(r)
	if err != nil {
		h.fail(w, r, t, err)
		return
	}
	if sess != nil && !opts.refresh && aalRank(opts.aal) <= aalRank(sess.AAL) {
		if flow.ReplyJSON(t, r) {
			if opts.aal == session.AAL2 {
				h.fail(w, r, t, ErrAALAlreadyFulfilled)
				return
			}
			h.fail(w, r, t, ErrAlreadyLoggedIn)
			return
		}
		flow.Redirect(w, r, h.returnURL(opts.returnTo))
		return
	}
	if sess == nil && opts.aal == session.AAL2 {
		h.fail(w, r, t, ErrSessionRequiredForHigherAAL)
		return
	}
	f, err := h.newFlow(ctx, w, r, t, opts, sess)
	if err != nil {
		h.fail(w, r, t, err)
		return
	}
	if flow.ReplyJSON(t, r) {
		flow.Reply(w, http.StatusOK, f)
		return
	}
	flow.Redirect(w, r, h.uiURL(f.ID))
}

func aalRank(a session.AAL) int {
	switch a {
	case session.AAL1:
		return 1
	case session.AAL2:
		return 2
	default:
		return 0
	}
}

// session returns the request's active session, nil when there is none.
func (h *Handler) session(r *http.Request) (*session.Session, error) {
	s, err := h.Sessions.FromRequest(r.Context(), r)
	if errors.Is(err, session.ErrNoActiveSession) {
		return nil, nil
	}
	return s, err
}

// newFlow builds, stores and returns a login flow. sess is the signed-in session for refresh
// and aal2 flows (nil otherwise); its identity decides which methods are offered.
func (h *Handler) newFlow(ctx context.Context, w http.ResponseWriter, r *http.Request, t flow.Type, opts options, sess *session.Session) (*Flow, error) {
	now := h.now()
	f := &Flow{
		Base:         flow.NewBase(t, r, h.Public, "/self-service/login", now, h.Lifespan),
		Refresh:      opts.refresh,
		RequestedAAL: opts.aal,
		State:        StateChooseMethod,
	}
	f.CreatedAt, f.UpdatedAt = now, now
	f.ReturnTo = opts.returnTo
	token := ""
	if t == flow.TypeBrowser {
		token = h.CSRF.Token(w, r)
	}
	f.UI.Nodes.Append(flow.NewCSRFNode(token))

	var ident *identity.Identity
	if sess != nil && (opts.refresh || opts.aal == session.AAL2) {
		var err error
		if ident, err = h.Identities.GetIdentity(ctx, sess.IdentityID, true); err != nil {
			return nil, err
		}
	}
	offered := 0
	for _, m := range h.Methods {
		if m.AAL() != opts.aal || !m.Available(ident) {
			continue
		}
		if err := m.Nodes(ctx, f, ident); err != nil {
			return nil, err
		}
		offered++
	}
	switch {
	case opts.aal == session.AAL2 && offered == 0:
		return nil, ErrNoSecondFactor
	case opts.aal == session.AAL2:
		f.UI.AddMessage(text.NewLoginMFA())
	case ident != nil:
		f.UI.AddMessage(text.NewLoginReAuth())
	}
	var owner *uuid.UUID
	if ident != nil {
		owner = &ident.ID
	}
	rec, err := flow.Record(Kind, &f.Base, owner, f)
	if err != nil {
		return nil, apierr.ErrInternal.WithCause(err)
	}
	if err := h.Flows.CreateFlow(ctx, rec); err != nil {
		return nil, err
	}
	return f, nil
}
