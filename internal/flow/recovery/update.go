package recovery

import (
	"errors"
	"net/http"

	"github.com/portico-auth/portico/internal/apierr"
	"github.com/portico-auth/portico/internal/flow"
	"github.com/portico-auth/portico/internal/flow/form"
	"github.com/portico-auth/portico/internal/onetime"
	"github.com/portico-auth/portico/internal/session"
	"github.com/portico-auth/portico/internal/session/sessionhttp"
	"github.com/portico-auth/portico/internal/store"
	"github.com/portico-auth/portico/internal/text"
)

// update answers updateRecoveryFlow: an email sends a (new) code or link; a code is checked
// and, when right, signs the person in and sends them to a settings flow.
func (h *Handler) update(w *flow.Responder, r *http.Request) error {
	ctx := r.Context()
	f := &Flow{}
	rec, err := h.Submission(w, r, f)
	if err != nil {
		return err
	}
	body, err := form.Decode(r)
	if err != nil {
		return err
	}
	if f.Valid(h.Time()) != nil {
		next, err := h.replacement(w, r, f, text.NewRecoveryFlowExpired(f.ExpiresAt, h.Time()))
		if err != nil {
			return err
		}
		return h.Expired(w, f, next)
	}
	if err := h.Verify(r, f, body); err != nil {
		return err
	}
	if sess, err := h.Session(r); err != nil {
		return err
	} else if sess != nil && f.State != StatePassedChallenge {
		return w.RefuseOrRedirect(ErrAlreadyLoggedIn, h.Target(f.ReturnTo, h.ReturnURL))
	}
	f.UI.ResetMessages()
	if f.State == StatePassedChallenge {
		return h.Invalid(w, r, f, rec.IdentityID, flow.NewFormError(text.New(text.ErrorValidationRecoveryRetrySuccess, nil)))
	}
	method := body.String("method")
	// An admin's code flow takes codes whatever the configured method.
	if method != h.Use && !(method == onetime.MethodCode && f.Active == onetime.MethodCode) {
		return h.Invalid(w, r, f, nil, flow.NewFormError(text.New(text.ErrorValidationRecoveryNoStrategy, nil)))
	}
	if body.Get("transient_payload") != nil {
		f.TransientPayload = body.Object("transient_payload")
	}
	code := body.String("code")
	if email := body.String("email"); email != "" || code == "" || method == onetime.MethodLink {
		return h.send(w, r, f, method, email)
	}
	c, err := h.Codes.Check(ctx, f.ID, onetime.PurposeRecovery, code)
	switch {
	case errors.Is(err, onetime.ErrTooManyTries):
		next, err := h.replacement(w, r, f, text.NewCodeSubmittedTooOften())
		if err != nil {
			return err
		}
		return w.Show(http.StatusBadRequest, next, h.UI(next.ID))
	case errors.Is(err, onetime.ErrInvalid) || (err == nil && c.IdentityID == nil):
		return h.Invalid(w, r, f, nil, flow.NewFormError(text.New(text.ErrorValidationRecoveryCodeInvalid, nil)))
	case err != nil:
		return err
	}
	return h.recovered(w, r, f, c, AMRCode)
}

// send sends a code or link to email (or does the same work for an address no identity holds)
// and shows the flow in sent_email.
func (h *Handler) send(w *flow.Responder, r *http.Request, f *Flow, method, email string) error {
	ctx := r.Context()
	address, fe := onetime.CheckEmail(f.UI.Nodes, "email", email)
	if fe != nil {
		return h.Invalid(w, r, f, nil, fe)
	}
	ident, err := h.Identities.FindByRecoveryAddress(ctx, "email", address)
	if errors.Is(err, apierr.ErrNotFound) {
		ident, err = nil, nil
	}
	if err != nil {
		return err
	}
	d := onetime.Dispatch{Purpose: onetime.PurposeRecovery, Method: method, FlowID: f.ID, Via: "email",
		Address: address, Identity: ident, NotifyUnknown: h.NotifyUnknown, RequestURL: f.RequestURL, URL: h.codeURL(f)}
	if method == onetime.MethodLink {
		d.URL = h.tokenURL(f)
	}
	if err := h.Codes.Send(ctx, h.Mail, d); err != nil {
		return err
	}
	h.sent(f, method, address)
	if err := h.Save(ctx, f, nil); err != nil {
		return err
	}
	return w.Show(http.StatusOK, f, h.UI(f.ID))
}

// sent puts f in sent_email: the code form (code method) or the address form again, to send
// another link (link method). address is "" for an admin's code.
func (h *Handler) sent(f *Flow, method, address string) {
	f.Active, f.State = method, StateSentEmail
	f.UI.Nodes.Remove(flow.GroupCode, flow.GroupLink)
	if method == onetime.MethodCode {
		onetime.AskCodeNodes(&f.UI.Nodes, address, text.New(text.InfoNodeLabelRecoveryCode, nil))
		if address != "" {
			f.UI.AddMessage(text.New(text.InfoRecoveryEmailWithCodeSent, nil))
		}
		return
	}
	onetime.AskAddressNodes(&f.UI.Nodes, method, address)
	f.UI.AddMessage(text.New(text.InfoRecoveryEmailSent, nil))
}

// recovered completes f for the identity code c was made for: a new privileged session, the
// address marked verified (its owner just proved control of it), and a settings flow to set a
// new password. API flows get the session token and the settings flow in continue_with; a
// browser is sent to the settings flow (an SPA is told to send it there: 422
// browser_location_change_required, as Kratos answers).
func (h *Handler) recovered(w *flow.Responder, r *http.Request, f *Flow, c *store.Code, amr string) error {
	ctx := r.Context()
	ident, err := h.Identities.GetIdentity(ctx, *c.IdentityID, true)
	if errors.Is(err, apierr.ErrNotFound) {
		return h.Invalid(w, r, f, nil, flow.NewFormError(text.New(text.ErrorValidationRecoveryCodeInvalid, nil)))
	}
	if err != nil {
		return err
	}
	if c.Via == "email" {
		if err := h.Identities.MarkAddressVerified(ctx, ident.ID, c.Via, c.Address, h.Time()); err != nil && !errors.Is(err, apierr.ErrNotFound) {
			return err
		}
	}
	sess, token, err := h.Sessions.Issue(ctx, ident.Public(h.Public.String()), []session.AuthenticationMethod{{Method: amr, AAL: session.AAL1}}, sessionhttp.DeviceFromRequest(r))
	if err != nil {
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
