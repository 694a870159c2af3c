package ui

import (
	"bytes"
	"context"
	"embed"
	"fmt"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"net/url"
	"strings"

	"github.com/portico-auth/portico/internal/flow"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

// Handler serves the built-in pages. Its collaborators are given at construction; the zero
// value is not usable.
type Handler struct {
	// API is the public API handler, called in-process exactly as an external UI would call
	// it over HTTP.
	API http.Handler
	// CSRF protects the UI's own form (sign out other devices).
	CSRF *flow.CSRF
	// Public is the public base URL.
	Public *url.URL
	Log    *slog.Logger
	// ReturnURLs are where the API may send a browser after a form submission (the default
	// and allowed return URLs): browsers apply form-action to those redirects too, so their
	// origins are allowed in it.
	ReturnURLs []string
	// FormOrigins, when set, adds origins a form's submission may be redirected to that are
	// known only at run time (the social sign-in providers' authorisation endpoints).
	FormOrigins func(context.Context) []string
	// RecoveryEnabled shows "Forgot password?" on the sign-in page
	// (selfservice.flows.recovery.enabled).
	RecoveryEnabled bool

	pages map[string]*template.Template
}

// New returns the UI handler; it fails only when an embedded template does not parse.
func New(api http.Handler, csrf *flow.CSRF, public *url.URL, log *slog.Logger) (*Handler, error) {
	h := &Handler{API: api, CSRF: csrf, Public: public, Log: log, pages: map[string]*template.Template{}}
	funcs := template.FuncMap{"t": t}
	for _, name := range []string{"flow", "error", "welcome"} {
		tpl, err := template.New(name).Funcs(funcs).ParseFS(templateFS, "templates/layout.html", "templates/nodes.html", "templates/"+name+".html")
		if err != nil {
			return nil, fmt.Errorf("parse %s template: %w", name, err)
		}
		h.pages[name] = tpl
	}
	return h, nil
}

// Register adds the pages to the public mux.
func (h *Handler) Register(mux *http.ServeMux) {
	static, _ := fs.Sub(staticFS, "static")
	files := http.StripPrefix("/ui/static/", http.FileServerFS(static))
	mux.Handle("GET /ui/static/", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Content-Type-Options", "nosniff")
		w.Header().Set("Cache-Control", "public, max-age=3600")
		files.ServeHTTP(w, r)
	}))
	for _, k := range flowKinds {
		mux.HandleFunc("GET /ui/"+k.name, h.flowPage(k))
	}
	mux.HandleFunc("GET /ui/error", h.errorPage)
	mux.HandleFunc("GET /ui/welcome", h.welcomePage)
	mux.HandleFunc("POST /ui/welcome/sessions/revoke", h.revokeOthers)
	mux.HandleFunc("GET /ui/{$}", func(w http.ResponseWriter, r *http.Request) {
		flow.Redirect(w, r, h.uiURL("welcome"))
	})
}

// page is what every template gets.
type page struct {
	Page      string
	Title     string
	Lead      string
	Static    string
	Home      string
	Messages  []messageView
	Container containerView
	Error     *errorView
	Welcome   *welcomeView
	Links     []linkView
	// Triggers loads the script that wires WebAuthn buttons to the flow's script nodes.
	Triggers bool

	// extra sources the CSP must allow
	formOrigins   []string
	scriptSources []string
}

type linkView struct {
	ID, Before, Text, Href string
}

// uiURL is the absolute URL of one of the UI's own pages.
func (h *Handler) uiURL(name string) string { return flow.JoinPath(h.Public, "/ui/"+name) }

// apiURL is the absolute URL of a public API path.
func (h *Handler) apiURL(path string) string { return flow.JoinPath(h.Public, path) }

// render writes the page with status and the security headers.
func (h *Handler) render(w http.ResponseWriter, r *http.Request, status int, tpl string, p *page) {
	p.Static = strings.TrimSuffix(h.Public.Path, "/") + "/ui/static"
	p.Home = h.uiURL("welcome")
	var buf bytes.Buffer
	if err := h.pages[tpl].ExecuteTemplate(&buf, "layout", p); err != nil {
		h.Log.ErrorContext(r.Context(), "render ui page", "page", p.Page, "error", err)
		http.Error(w, "internal server error", http.StatusInternalServerError)
		return
	}
	forms := p.formOrigins
	for _, u := range h.ReturnURLs {
		forms = append(forms, origin(u))
	}
	if h.FormOrigins != nil {
		forms = append(forms, h.FormOrigins(r.Context())...)
	}
	setSecurityHeaders(w, forms, p.scriptSources)
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}
