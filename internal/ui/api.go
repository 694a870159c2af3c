package ui

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/url"
)

// apiReply is the recorded reply of an in-process API call.
type apiReply struct {
	Status int
	Header http.Header
	Body   []byte
}

// recorder is a minimal http.ResponseWriter that keeps the reply in memory.
type recorder struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func (rec *recorder) Header() http.Header { return rec.header }

func (rec *recorder) WriteHeader(status int) {
	if rec.status == 0 {
		rec.status = status
	}
}

func (rec *recorder) Write(b []byte) (int, error) {
	rec.WriteHeader(http.StatusOK)
	return rec.body.Write(b)
}

// forwarded are the request headers an in-process call passes on: what the API needs to know
// the browser (its cookies) and to record a session's device.
var forwarded = []string{"Cookie", "User-Agent", "Accept-Language", "X-Forwarded-For", "X-Forwarded-Proto", "X-Real-Ip", "True-Client-Ip"}

// call sends method path?query to the public API in-process as the browser of r, asking for
// JSON. Cookies the API sets (a CSRF cookie, a refreshed session) are passed on to w, so the
// browser ends up exactly where it would be after calling the API itself.
func (h *Handler) call(w http.ResponseWriter, r *http.Request, method, path string, query url.Values) apiReply {
	u := &url.URL{Path: path, RawQuery: query.Encode()}
	req, err := http.NewRequestWithContext(r.Context(), method, u.String(), nil)
	if err != nil {
		return apiReply{Status: http.StatusInternalServerError}
	}
	req.Host, req.RemoteAddr, req.TLS, req.RequestURI = r.Host, r.RemoteAddr, r.TLS, u.RequestURI()
	for _, k := range forwarded {
		if v := r.Header.Values(k); len(v) > 0 {
			req.Header[k] = v
		}
	}
	req.Header.Set("Accept", "application/json")
	rec := &recorder{header: http.Header{}}
	h.API.ServeHTTP(rec, req)
	if rec.status == 0 {
		rec.status = http.StatusOK
	}
	for _, c := range rec.header.Values("Set-Cookie") {
		w.Header().Add("Set-Cookie", c)
	}
	return apiReply{Status: rec.status, Header: rec.header, Body: rec.body.Bytes()}
}

// apiError is the error part of an API error reply.
type apiError struct {
	ID      string         `json:"id"`
	Code    int            `json:"code"`
	Status  string         `json:"status"`
	Reason  string         `json:"reason"`
	Message string         `json:"message"`
	Details map[string]any `json:"details"`
}

type errorReply struct {
	Error             apiError `json:"error"`
	RedirectBrowserTo string   `json:"redirect_browser_to"`
}

func decodeError(rep apiReply) errorReply {
	var e errorReply
	if err := json.Unmarshal(rep.Body, &e); err != nil || e.Error.Code == 0 {
		e.Error.Code = rep.Status
		e.Error.Status = http.StatusText(rep.Status)
		if e.Error.Message == "" {
			e.Error.Message = http.StatusText(rep.Status)
		}
	}
	return e
}

// redirect is where the API would have sent a browser: redirect_browser_to (top level or in
// the details, as session_aal2_required and session_refresh_required carry it) or the
// details.redirect_to of an expired browser flow.
func (e errorReply) redirect() string {
	candidates := []string{e.RedirectBrowserTo}
	for _, k := range []string{"redirect_browser_to", "redirect_to"} {
		if s, ok := e.Error.Details[k].(string); ok {
			candidates = append(candidates, s)
		}
	}
	for _, c := range candidates {
		if origin(c) != "" {
			return c
		}
	}
	return ""
}
