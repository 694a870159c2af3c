package login

import (
	"context"
	"net/http"

	"github.com/google/uuid"

	"github.com/portico-auth/portico/internal/flow"
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

// create answers createBrowserLoginFlow and createNativeLoginFlow (login_challenge, organization
// and via are accepted and ignored).
func (h *Handler) create(w *flow.Responder, r *http.Request) error {
	q := r.URL.Query()
	aal, err := parseAAL(q.Get("aal"))
	if err != nil {
		return err
	}
	opts := options{refresh: q.Get("refresh") == "true", aal: aal}
	if opts.returnTo, err = h.CheckReturnTo(r); err != nil {
		return err
	}
	sess, err := h.Session(r)
	if err != nil {
		return err
	}
	if sess != nil && !opts.refresh && aalRank(opts.aal) <= aalRank(sess.AAL) {
		refusal := ErrAlreadyLoggedIn
		if opts.aal == session.AAL2 {
			refusal = ErrAALAlreadyFulfilled
		}
		return w.RefuseOrRedirect(refusal, h.Target(opts.returnTo, h.ReturnURL))
	}
	if sess == nil && opts.aal == session.AAL2 {
		return ErrSessionRequiredForHigherAAL
	}
	f, err := h.newFlow(w, r, opts, sess, nil)
	if err != nil {
		return err
	}
	return w.Show(http.StatusOK, f, h.UI(f.ID))
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

// newFlow builds, stores and returns a login flow of w's type, showing msg when it is set. sess
// is the signed-in session for refresh and aal2 flows (nil otherwise); its identity decides
// which methods are offered.
func (h *Handler) newFlow(w *flow.Responder, r *http.Request, opts options, sess *session.Session, msg *text.Message) (*Flow, error) {
	ctx := r.Context()
	f := &Flow{
		Base:         h.Begin(w, r, opts.returnTo),
		Refresh:      opts.refresh,
		RequestedAAL: opts.aal,
		State:        StateChooseMethod,
	}
	f.CreatedAt, f.UpdatedAt = f.IssuedAt, f.IssuedAt

	var ident *identity.Identity
	if sess != nil && (opts.refresh || opts.aal == session.AAL2) {
		var err error
		if ident, err = h.Identities.GetIdentity(ctx, sess.IdentityID, true); err != nil {
			return nil, err
		}
	}
	offered, err := h.offer(ctx, f, ident)
	if err != nil {
		return nil, err
	}
	switch {
	case opts.aal == session.AAL2 && offered == 0:
		return nil, ErrNoSecondFactor
	case opts.aal == session.AAL2:
		f.UI.AddMessage(text.NewLoginMFA())
	case ident != nil:
		f.UI.AddMessage(text.NewLoginReAuth())
	}
	if msg != nil {
		f.UI.AddMessage(*msg)
	}
	var owner *uuid.UUID
	if ident != nil {
		owner = &ident.ID
	}
	if err := h.RunBefore(r, f); err != nil {
		return nil, err
	}
	if err := h.Create(ctx, f, owner); err != nil {
		return nil, err
	}
	return f, nil
}

// offer adds the nodes of every method the flow offers to ident and counts them.
func (h *Handler) offer(ctx context.Context, f *Flow, ident *identity.Identity) (int, error) {
	offered := 0
	for _, m := range h.Methods {
		if m.AAL() != f.RequestedAAL || !m.Available(ident) {
			continue
		}
		if err := m.Nodes(ctx, f, ident); err != nil {
			return 0, err
		}
		offered++
	}
	return offered, nil
}
