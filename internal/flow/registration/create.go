package registration

import (
	"net/http"

	"github.com/portico-auth/portico/internal/flow"
	"github.com/portico-auth/portico/internal/text"
)

// create answers createBrowserRegistrationFlow and createNativeRegistrationFlow.
func (h *Handler) create(w *flow.Responder, r *http.Request) error {
	if !h.Enabled {
		return ErrDisabled
	}
	returnTo, err := h.CheckReturnTo(r)
	if err != nil {
		return err
	}
	sess, err := h.Session(r)
	if err != nil {
		return err
	}
	if sess != nil {
		return w.RefuseOrRedirect(ErrAlreadyLoggedIn, h.Target(returnTo, h.ReturnURL))
	}
	f, err := h.newFlow(w, r, returnTo, nil)
	if err != nil {
		return err
	}
	return w.Show(http.StatusOK, f, h.UI(f.ID))
}

// newFlow builds and stores a flow of w's type; msg, when set, is shown on it.
func (h *Handler) newFlow(w *flow.Responder, r *http.Request, returnTo string, msg *text.Message) (*Flow, error) {
	f := &Flow{Base: h.Begin(w, r, returnTo), State: StateChooseMethod}
	for _, m := range h.Methods {
		if err := m.Nodes(r.Context(), f); err != nil {
			return nil, err
		}
	}
	if msg != nil {
		f.UI.AddMessage(*msg)
	}
	if err := h.RunBefore(r, f); err != nil {
		return nil, err
	}
	if err := h.Create(r.Context(), f, nil); err != nil {
		return nil, err
	}
	return f, nil
}
