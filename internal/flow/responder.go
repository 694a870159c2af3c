package flow

import (
	"log/slog"
	"net/http"
	"time"

	"github.com/google/uuid"

	"github.com/portico-auth/portico/internal/apierr"
	"github.com/portico-auth/portico/internal/httpx"
	"github.com/portico-auth/portico/internal/store"
	"github.com/portico-auth/portico/internal/webhook"
)

// HandlerFunc is a flow endpoint. It answers through w (a flow, a redirect, a success) and
// returns an error for w to write instead: every error of every flow endpoint is written by
// Responder.Error, and nowhere else.
type HandlerFunc func(w *Responder, r *http.Request) error

// Replier makes the Responder of each flow request and holds what error replies need: the
// store and UI of self-service errors, the clock and the server's logger (all required).
type Replier struct {
	Store      store.Errors
	ErrorUIURL string
	Now        func() time.Time
	Log        *slog.Logger
}

// Handler adapts h to net/http. t is the flow type the endpoint serves (TypeBrowser or TypeAPI
// for the create endpoints), or "" when it is known only once the flow is loaded
// (Responder.SetType).
func (p *Replier) Handler(t Type, h HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		// The web hooks the request waits for share one budget (selfservice.web_hooks.flow_timeout).
		r = r.WithContext(webhook.WithBudget(r.Context()))
		wants := WantsJSON(r)
		rw := &Responder{ResponseWriter: w, r: r, p: p, json: wants, wants: wants}
		if t != "" {
			rw.SetType(t)
		}
		if err := h(rw, r); err != nil {
			rw.Error(err)
		}
	}
}

// JSONHandler adapts h, an endpoint that always answers JSON (the flows' GET …/flows?id=,
// which the SDKs call).
func (p *Replier) JSONHandler(h HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		rw := &Responder{ResponseWriter: w, r: r, p: p, json: true, fixed: true, wants: WantsJSON(r)}
		if err := h(rw, r); err != nil {
			rw.Error(err)
		}
	}
}

// Write answers r with err, negotiated as for a request to no flow (the server's checks
// before routing).
func (p *Replier) Write(w http.ResponseWriter, r *http.Request, err error) {
	wants := WantsJSON(r)
	(&Responder{ResponseWriter: w, r: r, p: p, json: wants, wants: wants}).Error(err)
}

// Responder answers one request. "JSON or browser?" is decided here, once: from the content
// negotiation (WantsJSON) and, once the flow is known, from its type (API flows always get
// JSON). It is the request's http.ResponseWriter, so cookies are set on it directly.
type Responder struct {
	http.ResponseWriter
	r     *http.Request
	p     *Replier
	typ   Type
	json  bool
	fixed bool
	// wants is the content negotiation alone (WantsJSON).
	wants bool
}

// SetType records the type of the flow the request is about.
func (w *Responder) SetType(t Type) {
	w.typ = t
	if !w.fixed {
		w.json = t == TypeAPI || w.wants
	}
}

// Type is the flow's type ("" before SetType).
func (w *Responder) Type() Type { return w.typ }

// JSON reports whether the caller gets JSON rather than redirects.
func (w *Responder) JSON() bool { return w.json }

// WantsJSON is the request's content negotiation alone, whatever the flow (see the package
// function WantsJSON): an endpoint that always answers JSON may still send a browser
// somewhere (the settings flow's reads send a browser without a session to the login UI).
func (w *Responder) WantsJSON() bool { return w.wants }

// Log is the server's logger.
func (w *Responder) Log() *slog.Logger { return w.p.Log }

// Unwrap lets http.ResponseController and httpx.NoteError reach the underlying writer.
func (w *Responder) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// Reply writes v as JSON with status, never cached.
func (w *Responder) Reply(status int, v any) error {
	Reply(w.ResponseWriter, status, v)
	return nil
}

// ReplyEncoded writes body, already encoded JSON, with status, never cached.
func (w *Responder) ReplyEncoded(status int, body []byte) error {
	ReplyEncoded(w.ResponseWriter, status, body)
	return nil
}

// Redirect sends the browser to target with 303 See Other, never cached.
func (w *Responder) Redirect(target string) error {
	Redirect(w.ResponseWriter, w.r, target)
	return nil
}

// Show answers with flow f: as JSON with status, or by sending the browser to ui, the flow's
// page.
func (w *Responder) Show(status int, f any, ui string) error {
	if w.json {
		return w.Reply(status, f)
	}
	return w.Redirect(ui)
}

// ShowEncoded is Show for a flow already encoded as body.
func (w *Responder) ShowEncoded(status int, body []byte, ui string) error {
	if w.json {
		return w.ReplyEncoded(status, body)
	}
	return w.Redirect(ui)
}

// RefuseOrRedirect answers a request the flow turns away without it being a mistake (someone
// already signed in starting a login): JSON callers get err, browsers are sent to target.
func (w *Responder) RefuseOrRedirect(err error, target string) error {
	if w.json {
		return err
	}
	return w.Redirect(target)
}

// Finish answers a completed flow with body, its success reply, whose continue_with list is
// cw: API flows get body as it is; browser flows answered as JSON (an SPA) get it with
// redirect_browser_to target added to cw, the place a browser would have been sent; browsers
// are sent to target.
func (w *Responder) Finish(body any, cw *[]ContinueWith, target string) error {
	switch {
	case w.typ == TypeAPI:
	case w.json:
		*cw = append(*cw, RedirectBrowserTo(target))
	default:
		return w.Redirect(target)
	}
	return w.Reply(http.StatusOK, body)
}

// Expired answers a submission to expired flow old once its replacement next is stored (with
// the flow's "expired" message): JSON callers get 410 self_service_flow_expired pointing to
// next (use_flow_id), browsers are sent to ui, next's page.
func (w *Responder) Expired(old *Base, now time.Time, next uuid.UUID, ui string) error {
	if !w.json {
		return w.Redirect(ui)
	}
	old.WriteExpired(w.ResponseWriter, w.r, now, next)
	return nil
}

// Error answers with err: JSON callers get Kratos's error JSON; browsers are sent to the
// error's redirect_browser_to when it has one, and otherwise to the error UI with ?id= of the
// stored error. A browser that went away gets no error page (storing one would fail on the
// cancelled context). The error is noted for the server's log line (httpx.NoteError).
func (w *Responder) Error(err error) {
	if w.json || httpx.ClientGone(w.r) {
		httpx.WriteError(w.ResponseWriter, w.r, err)
		return
	}
	ae := apierr.From(err)
	if ae.RedirectBrowserTo != "" {
		Redirect(w.ResponseWriter, w.r, ae.RedirectBrowserTo)
		return
	}
	if w.p.Store == nil || w.p.ErrorUIURL == "" {
		httpx.WriteError(w.ResponseWriter, w.r, err)
		return
	}
	httpx.NoteError(w.ResponseWriter, err)
	id, serr := w.p.Save(w.r, ae)
	if serr != nil {
		w.p.Log.ErrorContext(w.r.Context(), "store self-service error", "error", serr)
		httpx.WriteError(w.ResponseWriter, w.r, serr)
		return
	}
	Redirect(w.ResponseWriter, w.r, AppendQuery(w.p.ErrorUIURL, "id", id.String()))
}
