package registration

import (
	"errors"
	"log/slog"
	"net/http"
	"net/url"
	"time"

	"github.com/google/uuid"

	"github.com/portico-auth/portico/internal/apierr"
	"github.com/portico-auth/portico/internal/flow"
	"github.com/portico-auth/portico/internal/flow/form"
	"github.com/portico-auth/portico/internal/flow/login"
	"github.com/portico-auth/portico/internal/httpx"
	"github.com/portico-auth/portico/internal/identity"
	"github.com/portico-auth/portico/internal/session"
	"github.com/portico-auth/portico/internal/store"
	"github.com/portico-auth/portico/internal/text"
)

// Handler serves the registration flow's public endpoints.
type Handler struct {
	Flows    store.Flows
	Sessions *session.Manager
	CSRF     *flow.CSRF
	ReturnTo *flow.ReturnTo
	Errors   *flow.ErrorWriter
	Public   *url.URL
	// Enabled is selfservice.flows.registration.enabled.
	Enabled bool
	// UIURL is selfservice.flows.registration.ui_url.
	UIURL    string
	Lifespan time.Duration
	// ReturnURL is where a browser goes after signing up when the flow has no return_to.
	ReturnURL string
	// IssueSession is the "session" after-registration hook: sign the new identity in.
	IssueSession bool
	Methods      []Method
	Now          func() time.Time
	// Log is the server's logger; slog.Default() when nil.
	Log *slog.Logger
}

// Register adds the registration endpoints to the public mux.
func (h *Handler) Register(mux *http.ServeMux) {
	mux.HandleFunc("GET /self-service/registration/browser", func(w http.ResponseWriter, r *http.Request) { h.create(w, r, flow.TypeBrowser) })
	mux.HandleFunc("GET /self-service/registration/api", func(w http.ResponseWriter, r *http.Request) { h.create(w, r, flow.TypeAPI) })
	mux.HandleFunc("GET /self-service/registration/flows", h.get)
	mux.HandleFunc("POST /self-service/registration", h.update)
}

func (h *Handler) now() time.Time {
	if h.Now != nil {
		return h.Now().UTC()
	}
	return time.Now().UTC()
}

func (h *Handler) fail(w http.ResponseWriter, r *http.Request, t flow.Type, err error) {
	if t == flow.TypeAPI {
		httpx.WriteError(w, r, err)
		return
	}
	h.Errors.Write(w, r, err)
}

// returnURL is where a browser goes once signed up: the flow's return_to (kept as given, so
// a relative one is resolved here) or the default.
func (h *Handler) returnURL(rt string) string {
	if rt != "" {
		return h.ReturnTo.Resolve(rt)
	}
	return h.ReturnURL
}

func (h *Handler) uiURL(id uuid.UUID) string {
	if h.UIURL == "" {
		return flow.JoinPath(h.Public, "/self-service/registration/flows?id="+id.String())
	}
	return flow.AppendQuery(h.UIURL, "flow", id.String())
}

func (h *Handler) session(r *http.Request) (*session.Session, error) {
	s, err := h.Sessions.FromRequest(r.Context(), r)
	if errors.Is(err, session.ErrNoActiveSession) {
		return nil, nil
	}
	return s, err
}

func (h *Handler) create(w http.ResponseWriter, r *http.Request, t flow.Type) {
	if !h.Enabled {
		h.fail(w, r, t, ErrDisabled)
		return
	}
	rt, err := h.ReturnTo.Check(r.URL.Query().Get("return_to"))
	if err != nil {
		h.fail(w, r, t, err)
		return
	}
	returnTo := ""
	if rt != nil {
		returnTo = rt.String()
	}
	sess, err := h.session(r)
	if err != nil {
		h.fail(w, r, t, err)
		return
	}
	if sess != nil {
		if flow.ReplyJSON(t, r) {
			h.fail(w, r, t, ErrAlreadyLoggedIn)
			return
		}
		flow.Redirect(w, r, h.returnURL(returnTo))
		return
	}
	f, err := h.newFlow(w, r, t, returnTo, nil)
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

// newFlow builds and stores a flow; msg, when set, is shown on it.
func (h *Handler) newFlow(w http.ResponseWriter, r *http.Request, t flow.Type, returnTo string, msg *text.Message) (*Flow, error) {
	f := &Flow{Base: flow.NewBase(t, r, h.Public, "/self-service/registration", h.now(), h.Lifespan), State: StateChooseMethod}
	f.ReturnTo = returnTo
	token := ""
	if t == flow.TypeBrowser {
		token = h.CSRF.Token(w, r)
	}
	f.UI.Nodes.Append(flow.NewCSRFNode(token))
	for _, m := range h.Methods {
		if err := m.Nodes(r.Context(), f); err != nil {
			return nil, err
		}
	}
	if msg != nil {
		f.UI.AddMessage(*msg)
	}
	rec, err := flow.Record(Kind, &f.Base, nil, f)
	if err != nil {
		return nil, apierr.ErrInternal.WithCause(err)
	}
	if err := h.Flows.CreateFlow(r.Context(), rec); err != nil {
		return nil, err
	}
	return f, nil
}

func (h *Handler) load(r *http.Request, raw string) (*Flow, error) {
	id, err := uuid.Parse(raw)
	if err != nil {
		return nil, ErrFlowNotFound
	}
	rec, err := h.Flows.GetFlow(r.Context(), Kind, id)
	if errors.Is(err, apierr.ErrNotFound) {
		return nil, ErrFlowNotFound
	}
	if err != nil {
		return nil, err
	}
	f := &Flow{}
	if err := flow.Decode(rec, f); err != nil {
		return nil, apierr.ErrInternal.WithCause(err)
	}
	return f, nil
}

func (h *Handler) save(r *http.Request, f *Flow, owner *uuid.UUID) error {
	rec, err := flow.Record(Kind, &f.Base, owner, f)
	if err != nil {
		return apierr.ErrInternal.WithCause(err)
	}
	return h.Flows.UpdateFlow(r.Context(), rec)
}

func (h *Handler) get(w http.ResponseWriter, r *http.Request) {
	if !h.Enabled {
		httpx.WriteError(w, r, ErrDisabled)
		return
	}
	f, err := h.load(r, r.URL.Query().Get("id"))
	if err != nil {
		httpx.WriteError(w, r, err)
		return
	}
	if f.Expired(h.now()) {
		httpx.WriteError(w, r, f.GoneForRead(h.Public, "registration"))
		return
	}
	flow.Reply(w, http.StatusOK, f)
}

// success is Kratos's successfulNativeRegistration.
type success struct {
	Identity     *identity.Identity   `json:"identity"`
	Session      *session.Session     `json:"session,omitempty"`
	SessionToken string               `json:"session_token,omitempty"`
	ContinueWith []login.ContinueWith `json:"continue_with"`
}

func (h *Handler) update(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	// A missing or malformed ?flow= is a 400, judged before any flow is looked up.
	id, err := flow.SubmittedID(r)
	if err != nil {
		h.Errors.Write(w, r, err)
		return
	}
	f, err := h.load(r, id.String())
	if err != nil {
		h.Errors.Write(w, r, err)
		return
	}
	if !h.Enabled {
		h.fail(w, r, f.Type, ErrDisabled)
		return
	}
	body, err := form.Decode(r)
	if err != nil {
		h.fail(w, r, f.Type, err)
		return
	}
	if err := f.Valid(h.now()); err != nil {
		msg := text.NewRegistrationFlowExpired(f.ExpiresAt, h.now())
		nf, nerr := h.newFlow(w, r, f.Type, f.ReturnTo, &msg)
		if nerr != nil {
			h.fail(w, r, f.Type, nerr)
			return
		}
		if flow.ReplyJSON(f.Type, r) {
			f.WriteExpired(w, r, h.now(), nf.ID)
			return
		}
		flow.Redirect(w, r, h.uiURL(nf.ID))
		return
	}
	if f.Type == flow.TypeAPI {
		err = login.CheckAPIFlowRequest(r)
	} else {
		err = h.CSRF.VerifyFlow(r, f.Type, body.String("csrf_token"))
	}
	if err != nil {
		h.fail(w, r, f.Type, err)
		return
	}
	if sess, err := h.session(r); err != nil {
		h.fail(w, r, f.Type, err)
		return
	} else if sess != nil {
		if flow.ReplyJSON(f.Type, r) {
			h.fail(w, r, f.Type, ErrAlreadyLoggedIn)
			return
		}
		flow.Redirect(w, r, h.returnURL(f.ReturnTo))
		return
	}

	f.UI.ResetMessages()
	var m Method
	for _, c := range h.Methods {
		if c.ID() == body.String("method") {
			m = c
		}
	}
	if m == nil {
		h.invalid(w, r, f, &FormError{Messages: []text.Message{text.New(text.ErrorValidationRegistrationNoStrategy, nil)}})
		return
	}
	ident, err := m.Register(ctx, r, f, body)
	if fe, ok := asFormError(err); ok {
		h.invalid(w, r, f, fe)
		return
	}
	if err != nil {
		h.fail(w, r, f.Type, err)
		return
	}
	h.succeed(w, r, f, m, ident)
}

func (h *Handler) invalid(w http.ResponseWriter, r *http.Request, f *Flow, fe *FormError) {
	f.UI.ShowMessages(fe.Messages, fe.Nodes)
	f.UI.Nodes.ClearValues(flow.InputPassword)
	if err := h.save(r, f, nil); err != nil {
		h.fail(w, r, f.Type, err)
		return
	}
	if flow.ReplyJSON(f.Type, r) {
		flow.Reply(w, http.StatusBadRequest, f)
		return
	}
	flow.Redirect(w, r, h.uiURL(f.ID))
}

func (h *Handler) succeed(w http.ResponseWriter, r *http.Request, f *Flow, m Method, ident *identity.Identity) {
	ctx := r.Context()
	pub := *login.PublicIdentity(h.Public, ident)
	f.State = StatePassedChallenge
	if err := h.save(r, f, &ident.ID); err != nil {
		flow.Logger(h.Log).WarnContext(ctx, "store completed registration flow", "error", err)
	}
	flow.Logger(h.Log).DebugContext(ctx, "registration succeeded", "identity_id", ident.ID, "method", m.ID())
	res := success{Identity: &pub}
	target := h.returnURL(f.ReturnTo)
	var token string
	if h.IssueSession {
		sess, tok, err := h.Sessions.Issue(ctx, &pub, []session.AuthenticationMethod{{Method: m.ID(), AAL: session.AAL1}}, session.DeviceFromRequest(r))
		if err != nil {
			h.fail(w, r, f.Type, err)
			return
		}
		res.Session, token = sess, tok
	}
	if f.Type == flow.TypeAPI {
		if token != "" {
			res.SessionToken = token
			res.ContinueWith = append(res.ContinueWith, login.ContinueWith{Action: "set_ory_session_token", OrySessionToken: token})
		}
		flow.Reply(w, http.StatusOK, res)
		return
	}
	if token != "" {
		h.Sessions.SetCookie(w, token, res.Session.ExpiresAt)
	}
	if flow.WantsJSON(r) {
		res.ContinueWith = append(res.ContinueWith, login.ContinueWith{Action: "redirect_browser_to", RedirectBrowserTo: target})
		flow.Reply(w, http.StatusOK, res)
		return
	}
	flow.Redirect(w, r, target)
}
