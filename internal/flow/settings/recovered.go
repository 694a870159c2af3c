package settings

import (
	"context"
	"fmt"
	"net/http"

	"github.com/google/uuid"

	"github.com/portico-auth/portico/internal/apierr"
	"github.com/portico-auth/portico/internal/flow"
	"github.com/portico-auth/portico/internal/identity"
	"github.com/portico-auth/portico/internal/session"
	"github.com/portico-auth/portico/internal/text"
)

// StartRecovered stores the settings flow a recovery sends its person to (Kratos's
// show_settings_ui after a recovery): a flow of type t for ident (with its credentials)
// showing msg, and returns its id and page. csrfToken is the browser's masked token ("" for
// an API flow).
func (h *Handler) StartRecovered(ctx context.Context, r *http.Request, t flow.Type, ident *identity.Identity, csrfToken string, msg text.Message) (uuid.UUID, string, error) {
	// The recovery's session is a new aal1 one: under forced enrolment it must enrol first.
	st, first, err := h.newFlow(ctx, r, flowSpec{Type: t, Identity: ident, CSRFToken: csrfToken, EnrolOnly: h.enrolOnly(session.AAL1, ident)})
	if err != nil {
		return uuid.Nil, "", err
	}
	first.release()
	st.UI.AddMessage(msg)
	e, err := encode(st, h.sealer)
	if err != nil {
		return uuid.Nil, "", apierr.ErrInternal.WithCause(err)
	}
	if err := h.deps.Store.UpdateFlow(ctx, e.rec); err != nil {
		return uuid.Nil, "", fmt.Errorf("store settings flow: %w", err)
	}
	return st.ID, h.UI(st.ID), nil
}
