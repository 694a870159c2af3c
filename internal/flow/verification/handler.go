package verification

import (
	"context"
	"errors"
	"net/http"
	"time"

	"github.com/google/uuid"

	"github.com/portico-auth/portico/internal/apierr"
	"github.com/portico-auth/portico/internal/audit"
	"github.com/portico-auth/portico/internal/audit/audithttp"
	"github.com/portico-auth/portico/internal/flow"
	"github.com/portico-auth/portico/internal/identity"
	"github.com/portico-auth/portico/internal/onetime"
	"github.com/portico-auth/portico/internal/store"
	"github.com/portico-auth/portico/internal/text"
)

// Addresses finds identities by address and marks addresses (satisfied by the store).
type Addresses interface {
	GetIdentity(ctx context.Context, id uuid.UUID, withCredentials bool) (*identity.Identity, error)
	FindByVerifiableAddress(ctx context.Context, via, value string) (*identity.Identity, error)
	MarkAddressVerified(ctx context.Context, identityID uuid.UUID, via, value string, now time.Time) error
	SetAddressStatus(ctx context.Context, identityID uuid.UUID, via, value, status string, now time.Time) error
}

// Handler serves the verification flow's public endpoints. The exchange of codes and links is
// onetime.Exchange's; what is verification's own is in spec.
type Handler struct {
	onetime.Exchange[*Flow]
	Addresses Addresses
	// ReturnURL is where the completed flow's "continue" link goes without a return_to.
	ReturnURL string
	// Audit records each verified address in the write that marks it (nil records nothing).
	Audit *audithttp.Recorder
}

// ErrDisabled answers every verification endpoint while the flow is off.
var ErrDisabled = apierr.ErrBadRequest.WithReason("Verification is not allowed because it was disabled.")

// texts are the verification flow's messages.
var texts = onetime.Texts{
	Expired:      text.NewVerificationFlowExpired,
	RetrySuccess: text.ErrorValidationVerificationRetrySuccess, NoStrategy: text.ErrorValidationVerificationNoStrategy,
	CodeInvalid: text.ErrorValidationVerificationCodeInvalid, TokenInvalid: text.ErrorValidationVerificationTokenInvalid,
	CodeLabel: text.InfoNodeLabelVerificationCode, CodeSent: text.InfoVerificationEmailWithCodeSent, LinkSent: text.InfoVerificationEmailSent,
}

// Register adds the verification endpoints to the public mux.
func (h *Handler) Register(mux *http.ServeMux) {
	h.Mount(mux, h.spec())
}

// spec is what verification does its own way: its addresses are the verifiable ones, a message
// sent marks the address "sent", a right code or link marks it verified.
func (h *Handler) spec() *onetime.Spec[*Flow] {
	return &onetime.Spec[*Flow]{
		Purpose: onetime.PurposeVerification, Texts: texts, Disabled: ErrDisabled,
		New: func() *Flow { return &Flow{} }, Fresh: h.newFlow, CodeURL: h.codeURL,
		Find: onetime.ActiveOnly(h.Addresses.FindByVerifiableAddress),
		MessageSent: func(ctx context.Context, ident *identity.Identity, address string) error {
			if err := h.Addresses.SetAddressStatus(ctx, ident.ID, "email", address, "sent", h.Time()); err != nil && !errors.Is(err, apierr.ErrNotFound) {
				return err
			}
			return nil
		},
		Passed: h.passed,
	}
}

// newFlow builds a flow in choose_method (not stored).
func (h *Handler) newFlow(w *flow.Responder, r *http.Request, returnTo string) *Flow {
	f := &Flow{onetime.Challenge{Base: h.Begin(w, r, returnTo), State: StateChooseMethod}}
	onetime.AskAddressNodes(&f.UI.Nodes, h.Use, "")
	return f
}

// codeURL is the flow's page with the code filled in (the link in a code message).
func (h *Handler) codeURL(f *Flow) func(string) string {
	return func(code string) string {
		return flow.AppendQuery(h.UI(f.ID), "code", code)
	}
}

// passed completes f after a right code or link (method): the address is verified.
func (h *Handler) passed(w *flow.Responder, r *http.Request, f *Flow, c *store.Code, method string) error {
	// A code or link sent before the account was deactivated (or deleted) verifies nothing:
	// refused as an invalid one, so the reply does not tell the account's state.
	ident, err := h.Addresses.GetIdentity(r.Context(), *c.IdentityID, false)
	if errors.Is(err, apierr.ErrNotFound) || err == nil && !onetime.Active(ident) {
		return onetime.ErrInvalid
	}
	if err != nil {
		return err
	}
	verified := h.Audit.With(r, audit.New(audit.AddressVerified, *c.IdentityID, map[string]any{"via": c.Via, "by": audit.BySelf}))
	now := h.Time()
	if err := h.Addresses.MarkAddressVerified(verified, *c.IdentityID, c.Via, c.Address, now); errors.Is(err, apierr.ErrNotFound) {
		// The address was removed from the identity after the code was sent.
		return onetime.ErrInvalid
	} else if err != nil {
		return err
	}
	// The after hooks' ctx.identity is the identity with the address verified: the one read
	// above, changed as the write changed the stored one (no second read).
	markVerified(ident, c.Via, c.Address, now)
	// A refusal of an after hook is shown on the flow (the address stays verified).
	if err := h.RunAfter(r, f, "", ident, nil); err != nil {
		if fe, ok := flow.AsFormError(err); ok {
			return h.Invalid(w, r, f, nil, fe)
		}
		return err
	}
	f.State = StatePassedChallenge
	f.UI.Nodes.Remove(flow.GroupCode, flow.GroupLink)
	onetime.ContinueNode(&f.UI.Nodes, method, h.Target(f.ReturnTo, h.ReturnURL))
	f.UI.ResetMessages()
	f.UI.AddMessage(text.New(text.InfoVerificationSuccessful, nil))
	if err := h.Save(r.Context(), f, nil); err != nil {
		return err
	}
	h.SendAfter(r, f, "", ident, nil)
	return w.Show(http.StatusOK, f, h.UI(f.ID))
}

// markVerified does to ident, in memory, what MarkAddressVerified did to the stored identity:
// the address verified (completed, verified_at kept when it had one) and the identity's
// version and updated_at moved on.
func markVerified(ident *identity.Identity, via, value string, now time.Time) {
	for i, a := range ident.VerifiableAddresses {
		if a.Via == via && a.Value == value {
			a.Verified, a.Status, a.UpdatedAt = true, "completed", now
			if a.VerifiedAt == nil {
				a.VerifiedAt = &now
			}
			ident.VerifiableAddresses[i] = a
		}
	}
	ident.Version++
	ident.UpdatedAt = now
}
