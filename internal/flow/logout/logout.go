// Package logout is the logout flow: a logout URL for a browser's session, the browser logout
// itself, and the native logout that revokes a session token.
package logout

import (
	"context"
	"errors"
	"net/http"
	"net/url"

	"github.com/google/uuid"

	"github.com/portico-auth/portico/internal/apierr"
	"github.com/portico-auth/portico/internal/audit"
	"github.com/portico-auth/portico/internal/audit/audithttp"
	"github.com/portico-auth/portico/internal/flow"
	"github.com/portico-auth/portico/internal/httpx"
	"github.com/portico-auth/portico/internal/session"
	"github.com/portico-auth/portico/internal/session/sessionhttp"
)

// Sessions is the part of the session store the logout flow needs. It never writes a session
// except to revoke it.
type Sessions interface {
	GetSessionByToken(ctx context.Context, tokenHash []byte) (*session.Session, error)
	RevokeSession(ctx context.Context, identityID, sessionID uuid.UUID) error
}

// Handler serves the logout endpoints.
type Handler struct {
	Store    Sessions
	Sessions *sessionhttp.Sessions
	// Tokens derives and checks the one logout token of each session.
	Tokens   *session.LogoutTokens
	ReturnTo *flow.ReturnTo
	Replies  *flow.Replier
	Public   *url.URL
	// ReturnURL is selfservice.flows.logout.after.default_browser_return_url (or the global
	// default): where a browser goes after logging out without return_to.
	ReturnURL string
	// Audit records each logout in the revoking write (nil records nothing).
	Audit *audithttp.Recorder
}

var (
	errTokenMissing  = apierr.ErrBadRequest.WithReason("Please include a token in the URL query.")
	errTokenMismatch = apierr.ErrForbidden.WithReason("Unable to log out because the logout token in the URL query does not match the session cookie.")
	errNoToken       = apierr.ErrBadRequest.WithReason("The session_token is missing from the request body.")
	errUnknownToken  = apierr.ErrForbidden.WithReason("The provided Ory Session Token could not be found, is invalid, or otherwise malformed.")
)

// Register adds the logout endpoints to the public mux.
func (h *Handler) Register(mux *http.ServeMux) {
	mux.HandleFunc("GET /self-service/logout/browser", h.Replies.JSONHandler(h.createBrowser))
	mux.HandleFunc("GET /self-service/logout", h.Replies.Handler(flow.TypeBrowser, h.logoutBrowser))
	mux.HandleFunc("DELETE /self-service/logout/api", h.Replies.Handler(flow.TypeAPI, h.logoutNative))
}

// logoutFlow is Kratos's logoutFlow.
type logoutFlow struct {
	LogoutURL   string `json:"logout_url"`
	LogoutToken string `json:"logout_token"`
}

// createBrowser answers createBrowserLogoutFlow with the session's one logout token: every
// call (every rendered page, every tab) gets the same URL, and nothing is written.
func (h *Handler) createBrowser(w *flow.Responder, r *http.Request) error {
	ctx := r.Context()
	rt, err := h.ReturnTo.Check(r.URL.Query().Get("return_to"))
	if err != nil {
		return err
	}
	s, err := h.Sessions.Authorize(ctx, r, session.RequireAnySession, "") // signing out works at any level, also before a forced enrolment
	if err != nil {
		return err
	}
	token := h.Tokens.Token(s.ID)
	u := flow.AppendQuery(flow.JoinPath(h.Public, "/self-service/logout"), "token", token)
	if rt != nil {
		// Kratos puts the resolved URL here (unlike a flow's return_to, kept as given).
		u = flow.AppendQuery(u, "return_to", h.ReturnTo.Resolve(rt.String()))
	}
	return w.Reply(http.StatusOK, logoutFlow{LogoutURL: u, LogoutToken: token})
}

// logoutBrowser answers updateLogoutFlow: the token must be the logout token of the session
// the request carries.
func (h *Handler) logoutBrowser(w *flow.Responder, r *http.Request) error {
	ctx := r.Context()
	q := r.URL.Query()
	token := q.Get("token")
	if token == "" {
		return errTokenMissing
	}
	rt, err := h.ReturnTo.Check(q.Get("return_to"))
	if err != nil {
		return err
	}
	s, err := h.Sessions.Authorize(ctx, r, session.RequireAnySession, "") // signing out works at any level, also before a forced enrolment
	if err != nil {
		return err
	}
	if !h.Tokens.Verify(s.ID, token) {
		return errTokenMismatch
	}
	if err := h.Store.RevokeSession(h.audited(r, s), s.IdentityID, s.ID); err != nil {
		return err
	}
	h.Sessions.ClearCookie(w)
	if w.JSON() {
		return noContent(w)
	}
	target := h.ReturnURL
	if rt != nil {
		target = h.ReturnTo.Resolve(rt.String())
	}
	return w.Redirect(target)
}

// logoutNative answers performNativeLogout: 204 also for a token revoked before, 403 for an
// unknown one.
func (h *Handler) logoutNative(w *flow.Responder, r *http.Request) error {
	ctx := r.Context()
	var body struct {
		SessionToken string `json:"session_token"`
	}
	if err := httpx.DecodeJSON(r, &body); err != nil {
		return err
	}
	if body.SessionToken == "" {
		return errNoToken
	}
	s, err := h.Store.GetSessionByToken(ctx, session.HashToken(body.SessionToken))
	if errors.Is(err, apierr.ErrNotFound) {
		return errUnknownToken
	}
	if err != nil {
		return err
	}
	if s.Active {
		if err := h.Store.RevokeSession(h.audited(r, s), s.IdentityID, s.ID); err != nil {
			return err
		}
	}
	return noContent(w)
}

// audited is the request's context carrying the audit event of s's logout.
func (h *Handler) audited(r *http.Request, s *session.Session) context.Context {
	return h.Audit.With(r, audit.New(audit.SessionRevoked, s.IdentityID, map[string]any{"by": audit.ByLogout}).WithSession(s.ID))
}

// noContent is the 204 of a logout, never cached.
func noContent(w http.ResponseWriter) error {
	httpx.NoStore(w)
	w.WriteHeader(http.StatusNoContent)
	return nil
}
