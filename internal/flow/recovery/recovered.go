package recovery

import (
	"errors"
	"net/http"

	"github.com/portico-auth/portico/internal/apierr"
	"github.com/portico-auth/portico/internal/audit"
	"github.com/portico-auth/portico/internal/flow"
	"github.com/portico-auth/portico/internal/onetime"
	"github.com/portico-auth/portico/internal/session"
	"github.com/portico-auth/portico/internal/session/sessionhttp"
	"github.com/portico-auth/portico/internal/store"
	"github.com/portico-auth/portico/internal/text"
)

// recovered completes f for the identity code c was made for: a new privileged session, the
// address marked verified (its owner just proved control of it), and a settings flow to set a
// new password. API flows get the session token and the settings flow in continue_with; a
// browser is sent to the settings flow (an SPA is told to send it there: 422
// browser_location_change_required, as Kratos answers).
func (h *Handler) recovered(w *flow.Responder, r *http.Request, f *Flow, c *store.Code, amr string) error {
	ctx := r.Context()
	ident, err := h.Identities.GetIdentity(ctx, *c.IdentityID, true)
	if err != nil && !errors.Is(err, apierr.ErrNotFound) {
		return err
	}
	// A code sent before the account was deactivated (or deleted) recovers nothing: no
	// session, no hooks, no sign-in recorded, as the admin's recovery refuses it too.
	if err != nil || !onetime.Active(ident) {
		return h.Invalid(w, r, f, nil, flow.NewFormError(text.New(text.ErrorValidationRecoveryCodeInvalid, nil)))
	}
	if c.Via == "email" {
		verified := h.Audit.With(r, audit.New(audit.AddressVerified, ident.ID, map[string]any{"via": c.Via, "by": audit.BySelf}))
		if err := h.Identities.MarkAddressVerified(verified, ident.ID, c.Via, c.Address, h.Time()); err != nil && !errors.Is(err, apierr.ErrNotFound) {
			return err
		}
	}
	// The after hooks the flow waits for run before the session is written, and see it as
	// it will be (Kratos's ctx.session): one that refuses leaves the person signed out, the
	// refusal shown on the flow.
	sess, token, err := h.Sessions.Prepare(ident.Public(h.Public.String()), []session.AuthenticationMethod{{Method: amr, AAL: session.AAL1}}, sessionhttp.DeviceFromRequest(r))
	if err != nil {
		return err
	}
	if err := h.RunAfter(r, f, "", ident, sess); err != nil {
		if fe, ok := flow.AsFormError(err); ok {
			return h.Invalid(w, r, f, nil, fe)
		}
		return err
	}
	if err := h.Sessions.Store(ctx, sess); err != nil {
		return err
	}
	csrf := ""
	if f.Type == flow.TypeBrowser {
		csrf = h.CSRF.Token(w, r)
	}
	now := h.Time()
	settingsID, settingsUI, err := h.Settings.StartRecovered(ctx, r, f.Type, ident, csrf, text.NewRecoverySuccessful(now.Add(h.PrivilegedFor), now))
	if err != nil {
		return err
	}
	f.State = StatePassedChallenge
	f.UI.Nodes.Remove(flow.GroupCode, flow.GroupLink)
	item := flow.ContinueWithFlow{ID: settingsID}
	if f.Type == flow.TypeBrowser {
		item.URL = settingsUI
	}
	f.ContinueWith = []flow.ContinueWith{flow.ShowFlow("settings", item)}
	// Stored without the session token: anyone with the flow's id may read the flow.
	if err := h.Save(ctx, f, &ident.ID); err != nil {
		return err
	}
	w.Log().DebugContext(ctx, "recovery succeeded", "identity_id", ident.ID, "session_id", sess.ID, "method", amr)
	h.SendAfter(r, f, "", ident, sess)
	h.Audit.Record(r, audit.New(audit.SignIn, ident.ID, map[string]any{"method": amr, "methods": []string{amr}, "aal": string(sess.AAL)}).WithSession(sess.ID))
	if f.Type == flow.TypeAPI {
		f.ContinueWith = append([]flow.ContinueWith{flow.SetSessionToken(token)}, f.ContinueWith...)
		return w.Reply(http.StatusOK, f)
	}
	h.Sessions.SetCookie(w, token, sess.ExpiresAt)
	if w.JSON() {
		return ErrBrowserLocationChangeRequired(settingsUI)
	}
	return w.Redirect(settingsUI)
}

// ErrBrowserLocationChangeRequired is Kratos's 422 telling an SPA to send the browser to url.
func ErrBrowserLocationChangeRequired(url string) *apierr.Error {
	return apierr.ErrUnprocessable.WithID("browser_location_change_required").WithMessage("browser location change required").
		WithReason("In order to complete this flow please redirect the browser to: %s", url).
		WithRedirect(url)
}
