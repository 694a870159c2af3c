package ui

import (
	"encoding/json"
	"net/http"
	"net/url"

	"github.com/portico-auth/portico/internal/flow"
	"github.com/portico-auth/portico/internal/text"
)

// flowKind is one self-service flow with a page.
type flowKind struct {
	name string
	// pass are the query parameters of the page handed on to the browser endpoint.
	pass []string
}

var flowKinds = []flowKind{
	{name: "login", pass: []string{"return_to", "refresh", "aal", "login_challenge", "organization", "via"}},
	{name: "registration", pass: []string{"return_to", "login_challenge", "after_verification_return_to", "organization"}},
	{name: "settings", pass: []string{"return_to"}},
	{name: "verification", pass: []string{"return_to"}},
	{name: "recovery", pass: []string{"return_to"}},
}

// flowReply holds the fields of any flow the pages use.
type flowReply struct {
	ID           string         `json:"id"`
	Type         string         `json:"type"`
	UI           flow.Container `json:"ui"`
	ReturnTo     string         `json:"return_to"`
	Refresh      bool           `json:"refresh"`
	RequestedAAL string         `json:"requested_aal"`
	State        string         `json:"state"`
}

// flowPage serves /ui/<kind>: with ?flow= it shows the flow, without it starts one through the
// browser endpoint, which comes back here with ?flow= (the real ui_url round trip).
func (h *Handler) flowPage(k flowKind) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		id := r.URL.Query().Get("flow")
		if id == "" {
			h.startFlow(w, r, k)
			return
		}
		rep := h.call(w, r, http.MethodGet, "/self-service/"+k.name+"/flows", url.Values{"id": {id}})
		if rep.Status == http.StatusOK {
			var f flowReply
			if err := json.Unmarshal(rep.Body, &f); err != nil {
				h.Log.ErrorContext(r.Context(), "decode flow for ui", "flow", k.name, "error", err)
				h.showError(w, r, http.StatusBadGateway, apiError{Code: http.StatusBadGateway, Message: "The flow could not be read."})
				return
			}
			h.showFlow(w, r, k, &f)
			return
		}
		e := decodeError(rep)
		if target := e.redirect(); target != "" {
			flow.Redirect(w, r, target)
			return
		}
		switch {
		case rep.Status == http.StatusNotFound || rep.Status == http.StatusGone,
			rep.Status == http.StatusForbidden && e.Error.ID == "security_identity_mismatch":
			// An unknown, expired or someone else's flow: start afresh rather than strand the
			// visitor.
			h.startFlow(w, r, k)
		case rep.Status == http.StatusUnauthorized:
			// Settings without a session: sign in, then come back to a new settings flow.
			flow.Redirect(w, r, flow.AppendQuery(h.apiURL("/self-service/login/browser"), "return_to", h.uiURL(k.name)))
		default:
			h.showError(w, r, rep.Status, e.Error)
		}
	}
}

// startFlow sends the browser to the flow's browser endpoint.
func (h *Handler) startFlow(w http.ResponseWriter, r *http.Request, k flowKind) {
	target := h.apiURL("/self-service/" + k.name + "/browser")
	q := r.URL.Query()
	for _, p := range k.pass {
		if v := q.Get(p); v != "" {
			target = flow.AppendQuery(target, p, v)
		}
	}
	flow.Redirect(w, r, target)
}

func (h *Handler) showFlow(w http.ResponseWriter, r *http.Request, k flowKind, f *flowReply) {
	if c := r.URL.Query().Get("code"); c != "" && isCode(c) && f.UI.Nodes.Find("code") != nil {
		// The link in a code message carries the code: the person only has to submit it.
		f.UI.Nodes.SetValue("code", c)
	}
	p := &page{Page: k.name, Container: buildContainer(f.UI)}
	p.formOrigins = []string{origin(f.UI.Action), origin(f.ReturnTo)}
	for _, form := range p.Container.Forms {
		for _, s := range form.Scripts {
			p.Triggers = true
			p.scriptSources = append(p.scriptSources, origin(s.Src))
			if s.Nonce != "" {
				p.scriptSources = append(p.scriptSources, "'nonce-"+s.Nonce+"'")
			}
		}
	}
	withReturn := func(u string) string {
		if f.ReturnTo != "" {
			return flow.AppendQuery(u, "return_to", f.ReturnTo)
		}
		return u
	}
	switch k.name {
	case "login":
		p.Title = catalogueText(text.InfoLogin)
		switch {
		case f.Refresh:
			p.Title, p.Lead = t("login.refresh"), catalogueText(text.InfoLoginReAuth)
		case f.RequestedAAL == "aal2":
			p.Title, p.Lead = t("login.aal2"), catalogueText(text.InfoLoginMFA)
		}
		if f.Refresh || f.RequestedAAL == "aal2" {
			if u := h.logoutURL(w, r); u != "" {
				p.Links = append(p.Links, linkView{ID: "logout", Text: t("welcome.logout"), Href: u})
			}
		} else {
			p.Links = append(p.Links, linkView{ID: "to-registration", Before: t("login.noAccount"), Text: catalogueText(text.InfoRegistration), Href: withReturn(h.uiURL("registration"))})
			if h.RecoveryEnabled {
				p.Links = append(p.Links, linkView{ID: "to-recovery", Text: t("login.forgot"), Href: withReturn(h.uiURL("recovery"))})
			}
		}
	case "registration":
		p.Title = t("registration.title")
		p.Links = append(p.Links, linkView{ID: "to-login", Before: t("registration.haveAccount"), Text: catalogueText(text.InfoLogin), Href: withReturn(h.uiURL("login"))})
	case "settings":
		p.Title = t("settings.title")
		p.Links = append(p.Links, linkView{ID: "to-welcome", Text: t("settings.back"), Href: h.uiURL("welcome")})
		if u := h.logoutURL(w, r); u != "" {
			p.Links = append(p.Links, linkView{ID: "logout", Text: t("welcome.logout"), Href: u})
		}
	case "verification":
		p.Title = t("verification.title")
		p.Links = append(p.Links, linkView{ID: "to-welcome", Text: t("settings.back"), Href: h.uiURL("welcome")})
	case "recovery":
		p.Title = t("recovery.title")
		p.Links = append(p.Links, linkView{ID: "to-login", Before: t("recovery.remembered"), Text: catalogueText(text.InfoLogin), Href: withReturn(h.uiURL("login"))})
	default:
		p.Title = k.name
	}
	for _, m := range f.UI.Messages {
		if m.Text != "" && renderText(m) == p.Lead {
			p.Lead = "" // the flow already says it
		}
	}
	h.render(w, r, http.StatusOK, "flow", p)
}

// logoutURL asks the API for a logout URL for the browser's session ("" without one).
func (h *Handler) logoutURL(w http.ResponseWriter, r *http.Request) string {
	rep := h.call(w, r, http.MethodGet, "/self-service/logout/browser", nil)
	if rep.Status != http.StatusOK {
		return ""
	}
	var lf struct {
		LogoutURL string `json:"logout_url"`
	}
	if err := json.Unmarshal(rep.Body, &lf); err != nil {
		return ""
	}
	return lf.LogoutURL
}

// isCode reports whether s has the form of a one-time code (digits, at most 16).
func isCode(s string) bool {
	if len(s) == 0 || len(s) > 16 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
