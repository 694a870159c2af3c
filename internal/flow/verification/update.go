package verification

import (
	"errors"
	"net/http"

	"github.com/portico-auth/portico/internal/apierr"
	"github.com/portico-auth/portico/internal/flow"
	"github.com/portico-auth/portico/internal/flow/form"
	"github.com/portico-auth/portico/internal/onetime"
	"github.com/portico-auth/portico/internal/text"
)

// update answers updateVerificationFlow: an email sends a (new) code or link; a code is
// checked.
func (h *Handler) update(w *flow.Responder, r *http.Request) error {
	ctx := r.Context()
	f := &Flow{}
	if _, err := h.Submission(w, r, f); err != nil {
		return err
	}
	body, err := form.Decode(r)
	if err != nil {
		return err
	}
	if f.Valid(h.Time()) != nil {
		next, err := h.replacement(w, r, f, text.NewVerificationFlowExpired(f.ExpiresAt, h.Time()))
		if err != nil {
			return err
		}
		return h.Expired(w, f, next)
	}
	if err := h.Verify(r, f, body); err != nil {
		return err
	}
	f.UI.ResetMessages()
	if f.State == StatePassedChallenge {
		return h.Invalid(w, r, f, nil, flow.NewFormError(text.New(text.ErrorValidationVerificationRetrySuccess, nil)))
	}
	method := body.String("method")
	if method != h.Use {
		return h.Invalid(w, r, f, nil, flow.NewFormError(text.New(text.ErrorValidationVerificationNoStrategy, nil)))
	}
	if p, ok := body.Object("transient_payload"), body.Get("transient_payload") != nil; ok {
		f.TransientPayload = p
	}
	code := body.String("code")
	if email := body.String("email"); email != "" || code == "" || method == onetime.MethodLink {
		return h.send(w, r, f, method, email)
	}
	rec, err := h.Codes.Check(ctx, f.ID, onetime.PurposeVerification, code)
	switch {
	case errors.Is(err, onetime.ErrTooManyTries):
		next, err := h.replacement(w, r, f, text.NewCodeSubmittedTooOften())
		if err != nil {
			return err
		}
		return w.Show(http.StatusBadRequest, next, h.UI(next.ID))
	case errors.Is(err, onetime.ErrInvalid) || (err == nil && rec.IdentityID == nil):
		return h.Invalid(w, r, f, nil, flow.NewFormError(text.New(text.ErrorValidationVerificationCodeInvalid, nil)))
	case err != nil:
		return err
	}
	if err := h.Addresses.MarkAddressVerified(ctx, *rec.IdentityID, rec.Via, rec.Address, h.Time()); errors.Is(err, apierr.ErrNotFound) {
		// The address was removed from the identity after the code was sent.
		return h.Invalid(w, r, f, nil, flow.NewFormError(text.New(text.ErrorValidationVerificationCodeInvalid, nil)))
	} else if err != nil {
		return err
	}
	return h.passed(w, r, f, method)
}

// send sends a code or link to email (or does the same work for an address no identity
// holds) and shows the flow in sent_email.
func (h *Handler) send(w *flow.Responder, r *http.Request, f *Flow, method, email string) error {
	ctx := r.Context()
	address, fe := onetime.CheckEmail(f.UI.Nodes, "email", email)
	if fe != nil {
		return h.Invalid(w, r, f, nil, fe)
	}
	ident, err := h.Addresses.FindByVerifiableAddress(ctx, "email", address)
	if errors.Is(err, apierr.ErrNotFound) {
		ident, err = nil, nil
	}
	if err != nil {
		return err
	}
	d := onetime.Dispatch{Purpose: onetime.PurposeVerification, Method: method, FlowID: f.ID, Via: "email",
		Address: address, Identity: ident, NotifyUnknown: h.NotifyUnknown, RequestURL: f.RequestURL, URL: h.codeURL(f)}
	if method == onetime.MethodLink {
		d.URL = h.tokenURL(f)
	}
	if err := h.Codes.Send(ctx, h.Mail, d); err != nil {
		return err
	}
	if ident != nil {
		if err := h.Addresses.SetAddressStatus(ctx, ident.ID, "email", address, "sent", h.Time()); err != nil && !errors.Is(err, apierr.ErrNotFound) {
			return err
		}
	}
	h.sent(f, method, address)
	if err := h.Save(ctx, f, nil); err != nil {
		return err
	}
	return w.Show(http.StatusOK, f, h.UI(f.ID))
}

// sent puts f in sent_email for address: the code form (code method) or the address form
// again, to send another link (link method).
func (h *Handler) sent(f *Flow, method, address string) {
	f.Active, f.State = method, StateSentEmail
	f.UI.Nodes.Remove(flow.GroupCode, flow.GroupLink)
	if method == onetime.MethodCode {
		onetime.AskCodeNodes(&f.UI.Nodes, address, text.New(text.InfoNodeLabelVerificationCode, nil))
		f.UI.AddMessage(text.New(text.InfoVerificationEmailWithCodeSent, nil))
		return
	}
	onetime.AskAddressNodes(&f.UI.Nodes, method, address)
	f.UI.AddMessage(text.New(text.InfoVerificationEmailSent, nil))
}

// passed completes f: the address is verified.
func (h *Handler) passed(w *flow.Responder, r *http.Request, f *Flow, method string) error {
	f.State = StatePassedChallenge
	f.UI.Nodes.Remove(flow.GroupCode, flow.GroupLink)
	onetime.ContinueNode(&f.UI.Nodes, method, h.continueTo(f))
	f.UI.ResetMessages()
	f.UI.AddMessage(text.New(text.InfoVerificationSuccessful, nil))
	if err := h.Save(r.Context(), f, nil); err != nil {
		return err
	}
	return w.Show(http.StatusOK, f, h.UI(f.ID))
}

// replacement stores a new flow in place of old (expired, or out of tries) showing msg.
func (h *Handler) replacement(w *flow.Responder, r *http.Request, old *Flow, msg text.Message) (*Flow, error) {
	f, err := h.newFlow(w, r, old.ReturnTo)
	if err != nil {
		return nil, err
	}
	f.UI.AddMessage(msg)
	return f, h.Create(r.Context(), f, nil)
}

// link answers the link method's GET /self-service/verification?flow=&token=: a browser
// following the link in the message.
func (h *Handler) link(w *flow.Responder, r *http.Request) error {
	ctx := r.Context()
	f := &Flow{}
	if _, err := h.Submission(w, r, f); err != nil {
		return err
	}
	if f.Valid(h.Time()) != nil {
		next, err := h.replacement(w, r, f, text.NewVerificationFlowExpired(f.ExpiresAt, h.Time()))
		if err != nil {
			return err
		}
		return h.Expired(w, f, next)
	}
	token := r.URL.Query().Get("token")
	if token == "" {
		return w.Show(http.StatusOK, f, h.UI(f.ID))
	}
	rec, err := h.Codes.CheckLink(ctx, onetime.PurposeVerification, token)
	if err == nil && (rec.FlowID != f.ID || rec.IdentityID == nil) {
		err = onetime.ErrInvalid
	}
	if err == nil {
		err = h.Addresses.MarkAddressVerified(ctx, *rec.IdentityID, rec.Via, rec.Address, h.Time())
		if errors.Is(err, apierr.ErrNotFound) {
			err = onetime.ErrInvalid
		}
	}
	if errors.Is(err, onetime.ErrInvalid) {
		next, err := h.replacement(w, r, f, text.New(text.ErrorValidationVerificationTokenInvalid, nil))
		if err != nil {
			return err
		}
		return w.Show(http.StatusBadRequest, next, h.UI(next.ID))
	}
	if err != nil {
		return err
	}
	return h.passed(w, r, f, onetime.MethodLink)
}
