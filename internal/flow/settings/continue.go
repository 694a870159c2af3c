package settings

import (
	"context"
	"net/http"

	"github.com/google/uuid"

	"github.com/portico-auth/portico/internal/flow"
)

// Continue finishes on settings flow id a change that method m began in a submission and
// completes outside one: the oidc method's link, which the provider's redirect back brings
// to an end. The request must carry the session the flow belongs to, meeting the flow's AAL,
// and the flow must not have expired; change then runs as m.Update would, with a submission
// that has no body, and the reply is the one a submission gets (the success, or the flow
// with change's messages). A change that needs a privileged session the request's session
// no longer has is answered with session_refresh_required, without parking anything.
func (h *Handler) Continue(w *flow.Responder, r *http.Request, id uuid.UUID, m Method, change func(context.Context, *Flow, *Submission) error) error {
	s, err := h.requireSession(w, r)
	if s == nil {
		return err
	}
	st, err := h.load(r.Context(), id.String())
	if err != nil {
		return err
	}
	if err := h.owns(s, st); err != nil {
		return err
	}
	w.SetType(st.Type)
	if st.Expired(h.Time()) {
		return h.replaceExpired(w, r, s, st)
	}
	if err := h.Sessions.RequireAAL(s, h.opts.RequiredAAL, ""); err != nil {
		return err
	}
	st.UI.ResetMessages()
	if err := h.dropParked(r.Context(), st); err != nil {
		return err
	}
	return h.run(w, r, s, st, nil, m, change)
}
