package ui

import (
	"encoding/json"
	"net/http"
	"net/url"
)

// errorView is an error as the error page shows it.
type errorView struct {
	ID, Status, Message, Reason string
	Code                        int
}

// errorPage serves /ui/error?id=: the stored error, read through GET /self-service/errors.
func (h *Handler) errorPage(w http.ResponseWriter, r *http.Request) {
	rep := h.call(w, r, http.MethodGet, "/self-service/errors", url.Values{"id": {r.URL.Query().Get("id")}})
	if rep.Status != http.StatusOK {
		h.showError(w, r, rep.Status, decodeError(rep).Error)
		return
	}
	var stored struct {
		Error apiError `json:"error"`
	}
	if err := json.Unmarshal(rep.Body, &stored); err != nil {
		h.showError(w, r, http.StatusBadGateway, apiError{Code: http.StatusBadGateway, Message: "The error could not be read."})
		return
	}
	h.showError(w, r, http.StatusOK, stored.Error)
}

// showError renders an error page with status.
func (h *Handler) showError(w http.ResponseWriter, r *http.Request, status int, e apiError) {
	if e.Status == "" && e.Code != 0 {
		e.Status = http.StatusText(e.Code)
	}
	if e.Message == "" {
		e.Message = http.StatusText(status)
	}
	p := &page{
		Page:  "error",
		Title: t("error.title"),
		Error: &errorView{ID: e.ID, Status: e.Status, Message: e.Message, Reason: e.Reason, Code: e.Code},
		Links: []linkView{
			{ID: "again", Text: t("error.again"), Href: h.uiURL("login")},
			{ID: "home", Text: t("error.home"), Href: h.uiURL("welcome")},
		},
	}
	h.render(w, r, status, "error", p)
}
