package recovery

import (
	"errors"
	"net/http"

	"github.com/portico-auth/portico/internal/flow"
	"github.com/portico-auth/portico/internal/onetime"
	"github.com/portico-auth/portico/internal/text"
)

// link answers GET /self-service/recovery?flow=<id>[&token=<token>]: a browser following the
// link of a message or of the admin API. With a token, a right one recovers the account; without
// one, the browser is given its CSRF token on the flow (an admin's flow was made without it) and
// sent to the flow's page.
func (h *Handler) link(w *flow.Responder, r *http.Request) error {
	ctx := r.Context()
	f := &Flow{}
	rec, err := h.Submission(w, r, f)
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
	token := r.URL.Query().Get("token")
	if token == "" {
		if f.Type == flow.TypeBrowser && f.State != StatePassedChallenge {
			f.UI.Nodes.SetValue("csrf_token", h.CSRF.Token(w, r))
			if err := h.Save(ctx, f, rec.IdentityID); err != nil {
				return err
			}
		}
		return w.Show(http.StatusOK, f, h.UI(f.ID))
	}
	c, err := h.Codes.CheckLink(ctx, onetime.PurposeRecovery, token)
	if err == nil && (c.FlowID != f.ID || c.IdentityID == nil) {
		err = onetime.ErrInvalid
	}
	if errors.Is(err, onetime.ErrInvalid) {
		next, err := h.replacement(w, r, f, text.New(text.ErrorValidationRecoveryTokenInvalid, nil))
		if err != nil {
			return err
		}
		return w.Show(http.StatusBadRequest, next, h.UI(next.ID))
	}
	if err != nil {
		return err
	}
	return h.recovered(w, r, f, c, AMRLink)
}
