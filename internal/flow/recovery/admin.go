package recovery

import (
	"errors"
	"net/http"
	"time"

	"github.com/google/uuid"

	"github.com/portico-auth/portico/internal/apierr"
	"github.com/portico-auth/portico/internal/flow"
	"github.com/portico-auth/portico/internal/httpx"
	"github.com/portico-auth/portico/internal/identity"
	"github.com/portico-auth/portico/internal/onetime"
	"github.com/portico-auth/portico/internal/text"
)

// RegisterAdmin adds the admin API's recovery endpoints (createRecoveryCodeForIdentity and
// createRecoveryLinkForIdentity) to the admin mux. They work whether or not the self-service
// flow is enabled, as in Kratos.
func (h *Handler) RegisterAdmin(mux *http.ServeMux) {
	mux.HandleFunc("POST /admin/recovery/code", h.Replies.JSONHandler(h.adminCode))
	mux.HandleFunc("POST /admin/recovery/link", h.Replies.JSONHandler(h.adminLink))
}

type adminBody struct {
	IdentityID uuid.UUID `json:"identity_id"`
	ExpiresIn  string    `json:"expires_in"`
	FlowType   flow.Type `json:"flow_type"`
}

// codeForIdentity is Kratos's recoveryCodeForIdentity.
type codeForIdentity struct {
	RecoveryLink string    `json:"recovery_link"`
	RecoveryCode string    `json:"recovery_code"`
	ExpiresAt    time.Time `json:"expires_at"`
}

// linkForIdentity is Kratos's recoveryLinkForIdentity.
type linkForIdentity struct {
	RecoveryLink string    `json:"recovery_link"`
	ExpiresAt    time.Time `json:"expires_at"`
}

// maxExpiresIn bounds an admin's expires_in: a recovery code is a password in all but name.
const maxExpiresIn = 7 * 24 * time.Hour

// adminFlow reads an admin request and makes the flow of its code or link: the identity must
// exist and be active; the flow lives as long as the code.
func (h *Handler) adminFlow(r *http.Request, method string) (*Flow, *identity.Identity, time.Duration, error) {
	var body adminBody
	if err := httpx.DecodeJSON(r, &body); err != nil {
		return nil, nil, 0, err
	}
	if body.IdentityID == uuid.Nil {
		return nil, nil, 0, apierr.ErrBadRequest.WithReason("The field identity_id is required.")
	}
	life := h.Codes.Lifespan()
	if body.ExpiresIn != "" {
		d, err := time.ParseDuration(body.ExpiresIn)
		if err != nil || d <= 0 || d > maxExpiresIn {
			return nil, nil, 0, apierr.ErrBadRequest.WithReason("expires_in must be a positive duration of at most %s, like \"15m\".", maxExpiresIn)
		}
		life = d
	}
	t := flow.TypeBrowser
	switch body.FlowType {
	case "", flow.TypeBrowser:
	case flow.TypeAPI:
		if method == onetime.MethodCode {
			t = flow.TypeAPI
			break
		}
		fallthrough
	default:
		return nil, nil, 0, apierr.ErrBadRequest.WithReason("flow_type must be browser or api.")
	}
	ident, err := h.Identities.GetIdentity(r.Context(), body.IdentityID, false)
	if errors.Is(err, apierr.ErrNotFound) {
		return nil, nil, 0, apierr.ErrNotFound.WithReason("The requested identity could not be found.")
	}
	if err != nil {
		return nil, nil, 0, err
	}
	if !onetime.Active(ident) {
		return nil, nil, 0, apierr.ErrBadRequest.WithReason("The identity is not active and cannot be recovered.")
	}
	f := &Flow{Challenge: onetime.Challenge{Base: flow.NewBase(t, r, h.Public, h.ActionPath(), h.Time(), life), State: StateSentEmail, Active: method}}
	f.UI.Nodes.Append(flow.NewCSRFNode(""))
	return f, ident, life, nil
}

// adminCode answers POST /admin/recovery/code: a flow taking a code, the code and the link
// that opens the flow.
func (h *Handler) adminCode(w *flow.Responder, r *http.Request) error {
	f, ident, life, err := h.adminFlow(r, onetime.MethodCode)
	if err != nil {
		return err
	}
	h.Sent(h.spec(), f, onetime.MethodCode, "")
	if err := h.Create(r.Context(), f, nil); err != nil {
		return err
	}
	iss, err := h.Codes.Issue(r.Context(), h.adminTarget(f, ident, life))
	if err != nil {
		return err
	}
	return w.Reply(http.StatusCreated, codeForIdentity{RecoveryLink: h.openURL(f), RecoveryCode: iss.Secret, ExpiresAt: iss.ExpiresAt})
}

// adminLink answers POST /admin/recovery/link: a link that recovers the account when opened.
func (h *Handler) adminLink(w *flow.Responder, r *http.Request) error {
	f, ident, life, err := h.adminFlow(r, onetime.MethodLink)
	if err != nil {
		return err
	}
	f.UI.AddMessage(text.New(text.InfoRecoveryEmailSent, nil))
	if err := h.Create(r.Context(), f, nil); err != nil {
		return err
	}
	iss, err := h.Codes.IssueLink(r.Context(), h.adminTarget(f, ident, life))
	if err != nil {
		return err
	}
	return w.Reply(http.StatusOK, linkForIdentity{RecoveryLink: h.TokenURL(f)(iss.Secret), ExpiresAt: iss.ExpiresAt})
}

// adminTarget is where an admin's code counts its tries: an address of its own per identity,
// so that guesses on one identity's codes never use up another's.
func (h *Handler) adminTarget(f *Flow, ident *identity.Identity, life time.Duration) onetime.Target {
	return onetime.Target{FlowID: f.ID, Purpose: onetime.PurposeRecovery, IdentityID: &ident.ID,
		Via: "admin", Address: ident.ID.String(), Lifespan: life}
}

// openURL opens flow f in a browser: the public endpoint gives the browser its CSRF token on
// the flow and sends it to the flow's page.
func (h *Handler) openURL(f *Flow) string {
	return f.ActionURL(h.LinkBase, h.ActionPath())
}
