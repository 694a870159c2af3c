package ui

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"time"

	"github.com/portico-auth/portico/internal/flow"
)

// welcomeView is the signed-in home.
type welcomeView struct {
	Traits       []traitView
	Sessions     []sessionView
	Others       bool
	RevokeAction string
	CSRFToken    string
}

type traitView struct{ Name, Value string }

type sessionView struct {
	Device  string
	Since   string
	AAL     string
	Current bool
}

// sessionReply holds the fields of a session the welcome page shows.
type sessionReply struct {
	ID              string    `json:"id"`
	AuthenticatedAt time.Time `json:"authenticated_at"`
	AAL             string    `json:"authenticator_assurance_level"`
	Identity        *struct {
		SchemaID string         `json:"schema_id"`
		Traits   map[string]any `json:"traits"`
	} `json:"identity"`
	Devices []struct {
		IPAddress string `json:"ip_address"`
		UserAgent string `json:"user_agent"`
	} `json:"devices"`
}

// welcomePage serves /ui/welcome: who is signed in, their sessions, and the way out.
func (h *Handler) welcomePage(w http.ResponseWriter, r *http.Request) {
	rep := h.call(w, r, http.MethodGet, "/sessions/whoami", nil)
	if rep.Status != http.StatusOK {
		e := decodeError(rep)
		switch {
		case e.redirect() != "":
			flow.Redirect(w, r, e.redirect())
		case rep.Status == http.StatusUnauthorized:
			flow.Redirect(w, r, h.uiURL("login"))
		default:
			h.showError(w, r, rep.Status, e.Error)
		}
		return
	}
	var cur sessionReply
	if err := json.Unmarshal(rep.Body, &cur); err != nil {
		h.showError(w, r, http.StatusBadGateway, apiError{Code: http.StatusBadGateway, Message: "The session could not be read."})
		return
	}
	v := &welcomeView{RevokeAction: h.uiURL("welcome/sessions/revoke"), CSRFToken: h.CSRF.Token(w, r)}
	if cur.Identity != nil {
		v.Traits = flattenTraits("", cur.Identity.Traits, nil)
		titles := h.traitTitles(w, r, cur.Identity.SchemaID)
		for i := range v.Traits {
			if title, ok := titles[v.Traits[i].Name]; ok {
				v.Traits[i].Name = title
			}
		}
	}
	v.Sessions = append(v.Sessions, sessionRow(cur, true))
	var others []sessionReply
	if rep := h.call(w, r, http.MethodGet, "/sessions", nil); rep.Status == http.StatusOK {
		_ = json.Unmarshal(rep.Body, &others) // a broken list only hides the other sessions
	}
	for _, o := range others {
		v.Sessions = append(v.Sessions, sessionRow(o, false))
	}
	v.Others = len(others) > 0

	p := &page{Page: "welcome", Title: t("welcome.title"), Welcome: v}
	if r.URL.Query().Get("revoked") != "" {
		p.Messages = []messageView{{ID: "revoked", Type: "success", Text: t("welcome.revoked")}}
	}
	p.Links = []linkView{{ID: "to-settings", Text: t("welcome.settings"), Href: h.uiURL("settings")}}
	if u := h.logoutURL(w, r); u != "" {
		p.Links = append(p.Links, linkView{ID: "logout", Text: t("welcome.logout"), Href: u})
	}
	h.render(w, r, http.StatusOK, "welcome", p)
}

// revokeOthers signs the visitor's other sessions out through DELETE /sessions.
func (h *Handler) revokeOthers(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
	if err := r.ParseForm(); err != nil {
		h.showError(w, r, http.StatusBadRequest, apiError{Code: http.StatusBadRequest, Message: "The form could not be read."})
		return
	}
	if err := h.CSRF.Verify(r, r.PostForm.Get("csrf_token")); err != nil {
		h.showError(w, r, http.StatusForbidden, apiError{ID: "security_csrf_violation", Code: http.StatusForbidden, Message: "The request was rejected to protect you from Cross-Site-Request-Forgery.", Reason: "Please go back, reload the page and try again."})
		return
	}
	rep := h.call(w, r, http.MethodDelete, "/sessions", nil)
	switch {
	case rep.Status == http.StatusOK:
		flow.Redirect(w, r, flow.AppendQuery(h.uiURL("welcome"), "revoked", "1"))
	case rep.Status == http.StatusUnauthorized:
		flow.Redirect(w, r, h.uiURL("login"))
	default:
		e := decodeError(rep)
		if target := e.redirect(); target != "" {
			flow.Redirect(w, r, target)
			return
		}
		h.showError(w, r, rep.Status, e.Error)
	}
}

func sessionRow(s sessionReply, current bool) sessionView {
	v := sessionView{Current: current, AAL: s.AAL, Device: "Unknown device"}
	if !s.AuthenticatedAt.IsZero() {
		v.Since = s.AuthenticatedAt.UTC().Format("2 Jan 2006 15:04 UTC")
	}
	if len(s.Devices) > 0 {
		d := s.Devices[len(s.Devices)-1]
		parts := []string{}
		if d.UserAgent != "" {
			parts = append(parts, browserName(d.UserAgent))
		}
		if d.IPAddress != "" {
			parts = append(parts, d.IPAddress)
		}
		if len(parts) > 0 {
			v.Device = strings.Join(parts, " · ")
		}
	}
	return v
}

// browserName shortens a User-Agent to the browser's name where it is recognisable.
func browserName(ua string) string {
	for _, b := range []string{"Edg/", "OPR/", "Firefox/", "HeadlessChrome/", "Chrome/", "Safari/", "curl/"} {
		if strings.Contains(ua, b) {
			return strings.TrimSuffix(b, "/")
		}
	}
	if len(ua) > 40 {
		return ua[:40] + "…"
	}
	return ua
}

// flattenTraits lists the traits as dotted paths with their values, sorted by path.
func flattenTraits(prefix string, v any, out []traitView) []traitView {
	switch x := v.(type) {
	case map[string]any:
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			name := k
			if prefix != "" {
				name = prefix + "." + k
			}
			out = flattenTraits(name, x[k], out)
		}
	case nil:
	case []any:
		parts := make([]string, 0, len(x))
		for _, e := range x {
			parts = append(parts, fmt.Sprint(e))
		}
		out = append(out, traitView{Name: prefix, Value: strings.Join(parts, ", ")})
	default:
		out = append(out, traitView{Name: prefix, Value: valueString(x)})
	}
	return out
}

// traitTitles maps trait paths ("name.first") to the titles the identity schema gives them,
// read through GET /schemas/{id}; it is empty when the schema cannot be read.
func (h *Handler) traitTitles(w http.ResponseWriter, r *http.Request, schemaID string) map[string]string {
	titles := map[string]string{}
	if schemaID == "" {
		return titles
	}
	rep := h.call(w, r, http.MethodGet, "/schemas/"+url.PathEscape(schemaID), nil)
	if rep.Status != http.StatusOK {
		return titles
	}
	var schema schemaNode
	if err := json.Unmarshal(rep.Body, &schema); err != nil {
		return titles
	}
	if traits, ok := schema.Properties["traits"]; ok {
		traits.collectTitles("", titles)
	}
	return titles
}

// schemaNode is the part of a JSON schema that names properties.
type schemaNode struct {
	Title      string                `json:"title"`
	Properties map[string]schemaNode `json:"properties"`
}

func (n schemaNode) collectTitles(prefix string, out map[string]string) {
	for name, p := range n.Properties {
		path := name
		if prefix != "" {
			path = prefix + "." + name
		}
		if p.Title != "" {
			out[path] = p.Title
		}
		p.collectTitles(path, out)
	}
}
