package settings

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"

	"github.com/portico-auth/portico/internal/apierr"
	"github.com/portico-auth/portico/internal/flow"
	"github.com/portico-auth/portico/internal/identity"
	"github.com/portico-auth/portico/internal/session"
)

// create is createBrowserSettingsFlow (GET /self-service/settings/browser) and
// createNativeSettingsFlow (GET /self-service/settings/api, which needs no CSRF token, sets no
// cookie and always answers JSON).
func (h *Handler) create(w *flow.Responder, r *http.Request) error {
	ctx := r.Context()
	rawReturnTo := r.URL.Query().Get("return_to")
	token, authReturnTo := "", ""
	if w.Type() == flow.TypeBrowser {
		// The CSRF cookie is handed out before anything else, so that even the 401 carries it
		// (as Kratos does) and the login that follows can use it.
		token = h.CSRF.Token(w, r)
		authReturnTo = rawReturnTo
	}
	// The session layer's one rule: an active session at the settings flow's required_aal.
	s, err := h.Sessions.Authorize(ctx, r, h.opts.RequiredAAL, authReturnTo)
	if errors.Is(err, session.ErrNoActiveSession) && !w.JSON() {
		// Without a session, return_to is not judged here: the login endpoint does that.
		return w.Redirect(h.loginBrowserURL(url.Values{"return_to": {rawReturnTo}}))
	}
	if err != nil {
		return err
	}
	returnTo, err := h.CheckReturnTo(r)
	if err != nil {
		return err
	}
	ident, err := h.sessionIdentity(ctx, s)
	if err != nil {
		return err
	}
	// A browser is redirected to the UI: the reply body is built only for a JSON caller. The
	// identity is the session read's, unchanged: its JSON may be the one remembered.
	var shown []byte
	if w.JSON() {
		if shown, err = h.shown.encode(ident, h.public); err != nil {
			return apierr.ErrInternal.WithCause(err)
		}
	}
	st, e, err := h.newFlow(ctx, r, flowSpec{Type: w.Type(), Identity: ident, Shown: shown, Bodyless: !w.JSON(),
		ReturnTo: returnTo, CSRFToken: token, EnrolOnly: h.enrolOnly(s.AAL, ident)})
	if err != nil {
		return err
	}
	// The reply is written (or the redirect sent) when ShowEncoded returns: its buffers are free.
	defer e.release()
	return w.ShowEncoded(http.StatusOK, e.body, h.UI(st.ID))
}

// changePassword answers GET /.well-known/change-password (RFC 8615's well-known URL for
// password managers) with the settings UI.
func (h *Handler) changePassword(w http.ResponseWriter, r *http.Request) {
	flow.Redirect(w, r, h.UIURL)
}

// sessionIdentity is the session's identity with its credentials: the session read already
// loaded them, so the hot path reads the identity only once.
func (h *Handler) sessionIdentity(ctx context.Context, s *session.Session) (*identity.Identity, error) {
	if s.Identity != nil && s.Identity.Credentials != nil {
		return s.Identity, nil
	}
	ident, err := h.deps.Store.GetIdentity(ctx, s.IdentityID, true)
	if err != nil {
		return nil, fmt.Errorf("load identity for settings: %w", err)
	}
	return ident, nil
}

// flowSpec is what a new flow is built from.
type flowSpec struct {
	// Type is the flow's type (browser or API).
	Type flow.Type
	// Identity is the session's identity, with its credentials.
	Identity *identity.Identity
	// Shown is Identity's JSON as the reply shows it (nil: encoded when the flow is);
	// Bodyless builds no reply body (the caller redirects).
	Shown    []byte
	Bodyless bool
	// ReturnTo and CSRFToken are the flow's return_to and the form's CSRF token.
	ReturnTo, CSRFToken string
	// From, when not nil, is the flow whose successful submission the new flow follows: the
	// new flow starts with its carried internal values (see Carrier) and runs no before hooks.
	From *Flow
	// EnrolOnly shows only the second-factor enrolment (see enrol.go).
	EnrolOnly bool
}

// newFlow builds, fills and stores a new flow as spec says, and returns it with its encoding
// (e.body is the reply body, nil when spec.Bodyless). The caller gives e's buffers back
// (e.release) once it is done with the body.
func (h *Handler) newFlow(ctx context.Context, r *http.Request, spec flowSpec) (*stored, encoded, error) {
	st, e, err := h.buildFlow(ctx, r, spec)
	if err != nil {
		return nil, encoded{}, err
	}
	fail := func(err error) (*stored, encoded, error) {
		e.release()
		return nil, encoded{}, err
	}
	if spec.From == nil {
		// A flow that follows a successful submission is no new start: no before hooks.
		if err := h.RunBefore(r, &st.Flow); err != nil {
			return fail(err)
		}
	}
	// The store has copied the record's bytes into its statement when CreateFlow returns.
	if err := h.deps.Store.CreateFlow(ctx, e.rec); err != nil {
		return fail(fmt.Errorf("store settings flow: %w", err))
	}
	if err := h.trim(ctx, spec.Identity.ID, st.ID); err != nil {
		return fail(err)
	}
	return st, e, nil
}

// buildFlow builds and fills a new flow as newFlow does, and encodes it, without storing it.
func (h *Handler) buildFlow(ctx context.Context, r *http.Request, spec flowSpec) (*stored, encoded, error) {
	st := &stored{Flow: Flow{
		Base:  flow.NewBase(spec.Type, r, h.Public, ActionPath, h.Time(), h.Lifespan),
		State: StateShowForm,
	}, shownJSON: spec.Shown, bodyless: spec.Bodyless}
	if from := spec.From; from != nil {
		for _, m := range h.methods {
			if c, ok := m.(Carrier); ok {
				for _, k := range c.CarriedKeys() {
					if v, ok := from.internal[k]; ok {
						if st.internal == nil {
							st.internal = map[string]json.RawMessage{}
						}
						st.internal[k] = v
					}
				}
			}
		}
	}
	st.ReturnTo = spec.ReturnTo
	if err := h.fill(ctx, &st.Flow, spec.Identity, spec.CSRFToken, spec.EnrolOnly); err != nil {
		return nil, encoded{}, err
	}
	e, err := encode(st, h.sealer)
	if err != nil {
		return nil, encoded{}, apierr.ErrInternal.WithCause(err)
	}
	return st, e, nil
}

// fill (re)builds the flow's identity and nodes: the CSRF token first, then every method's
// nodes (only those that enrol a second factor when enrolOnly) and the recent activity when
// it is shown, in Kratos's group order (see order.go).
func (h *Handler) fill(ctx context.Context, f *Flow, ident *identity.Identity, csrfToken string, enrolOnly bool) error {
	f.Identity = ident.Public(h.public)
	f.UI.Nodes = make(flow.Nodes, 0, max(h.nodeCount.Load(), 1))
	f.clearSecrets()
	f.UI.Nodes.Append(flow.NewCSRFNode(csrfToken))
	for _, m := range h.methods {
		if enrolOnly && !h.enrols(m) {
			continue
		}
		if err := m.Nodes(ctx, f, ident); err != nil {
			return fmt.Errorf("settings method %s nodes: %w", m.ID(), err)
		}
	}
	if h.deps.Activity != nil && !enrolOnly {
		nodes, err := h.deps.Activity.Nodes(ctx, ident.ID)
		if err != nil {
			return err
		}
		f.UI.Nodes.Append(nodes...)
	}
	sortGroups(f.UI.Nodes)
	h.nodeCount.Store(int32(min(len(f.UI.Nodes), maxNodeCountHint)))
	return nil
}

// maxNodeCountHint bounds Handler.nodeCount (an identity with hundreds of keys does not make
// every later flow start that large).
const maxNodeCountHint = 64

// loginBrowserURL is <public>/self-service/login/browser with the non-empty parameters of q.
func (h *Handler) loginBrowserURL(q url.Values) string {
	u := flow.JoinPath(h.Public, "/self-service/login/browser")
	for k, v := range q {
		if len(v) == 0 || v[0] == "" {
			delete(q, k)
		}
	}
	if len(q) == 0 {
		return u
	}
	return u + "?" + q.Encode()
}
