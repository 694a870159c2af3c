// Package flow is the machinery every self-service flow (login, registration, settings,
// logout, …) shares: the flow base fields, the UI container and node model exactly as Kratos
// serialises it, the one reply path (Replier, Responder), the one lifecycle (Lifecycle):
// creating, loading and storing flows by kind, CSRF, return_to, expiry, form errors and
// continue_with.
//
// A flow endpoint is a HandlerFunc: it answers through its Responder and returns an error for
// the Responder to write. "JSON or browser?" is decided in the Responder, once (the content
// negotiation, then the flow's type: API flows always get JSON); every error of every flow
// endpoint is written by Responder.Error, which answers JSON callers with Kratos's error JSON
// and sends browsers to the error UI (or the error's redirect_browser_to). Every reply sets
// Cache-Control: no-store.
//
// A concrete flow package builds on it like this:
//
//	type Flow struct {
//		flow.Base // makes *Flow a flow.Flow
//		State string `json:"state"`
//	}
//
//	type Handler struct {
//		flow.Lifecycle // Kind "login", stores, CSRF, return_to, replies, clock
//		Methods []Method
//	}
//
//	func (h *Handler) Register(mux *http.ServeMux) {
//		mux.HandleFunc("GET /self-service/login/browser", h.Replies.Handler(flow.TypeBrowser, h.create))
//		mux.HandleFunc("GET /self-service/login/api", h.Replies.Handler(flow.TypeAPI, h.create))
//		mux.HandleFunc("GET /self-service/login/flows", h.Replies.JSONHandler(h.get))
//		mux.HandleFunc("POST /self-service/login", h.Replies.Handler("", h.update))
//	}
//
//	func (h *Handler) create(w *flow.Responder, r *http.Request) error {
//		returnTo, err := h.CheckReturnTo(r) // 400 self_service_flow_return_to_forbidden
//		if err != nil {
//			return err
//		}
//		f := &Flow{Base: h.Begin(w, r, returnTo)} // csrf_token node first
//		// methods append their nodes: flow.NewInput, flow.NewSubmit, flow.NewTextNode, …
//		if err := h.Create(r.Context(), f, nil); err != nil {
//			return err
//		}
//		return w.Show(http.StatusOK, f, h.UI(f.ID)) // JSON, or 303 to the flow's UI
//	}
//
//	func (h *Handler) get(w *flow.Responder, r *http.Request) error { return h.Get(w, r, &Flow{}) }
//
//	func (h *Handler) update(w *flow.Responder, r *http.Request) error {
//		f := &Flow{}
//		rec, err := h.Submission(w, r, f) // ?flow=, load, and w learns the flow's type
//		…
//		body, err := form.Decode(r)
//		if f.Expired(h.Time()) { next := …; return h.Expired(w, f, next) } // 410 + use_flow_id
//		if err := h.Verify(r, f, body); err != nil { return err }        // CSRF
//		if fe, ok := flow.AsFormError(err); ok { return h.Invalid(w, r, f, rec.IdentityID, fe) }
//		return w.Finish(&res, &res.ContinueWith, h.Target(f.ReturnTo, h.ReturnURL))
//	}
package flow
