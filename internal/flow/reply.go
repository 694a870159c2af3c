package flow

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/portico-auth/portico/internal/httpx"
)

// Redirect answers a browser with 303 See Other to target; the reply is never cached.
func Redirect(w http.ResponseWriter, r *http.Request, target string) {
	httpx.NoStore(w)
	http.Redirect(w, r, target, http.StatusSeeOther)
}

// Reply writes v as JSON with the given status; the reply is never cached.
func Reply(w http.ResponseWriter, status int, v any) {
	httpx.NoStore(w)
	httpx.WriteJSON(w, status, v)
}

// ReplyEncoded writes body, a flow already encoded as JSON, with the given status. The length
// is sent up front: a flow is kilobytes (more than net/http buffers before it switches to
// chunked encoding), and a chunked reply cost a third write to the connection, for the last
// chunk, after the handler returned.
func ReplyEncoded(w http.ResponseWriter, status int, body []byte) {
	httpx.NoStore(w)
	h := w.Header()
	h.Set("Content-Type", "application/json; charset=utf-8")
	h.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

// AppendQuery adds key=value to base's query, keeping any query and fragment base already has
// (a ui_url such as "https://app/login?lang=de" becomes "https://app/login?lang=de&flow=…").
func AppendQuery(base, key, value string) string {
	pair := url.QueryEscape(key) + "=" + url.QueryEscape(value)
	frag := ""
	if i := strings.IndexByte(base, '#'); i >= 0 {
		base, frag = base[:i], base[i:]
	}
	switch {
	case !strings.Contains(base, "?"):
		base += "?" + pair
	case strings.HasSuffix(base, "?") || strings.HasSuffix(base, "&"):
		base += pair
	default:
		base += "&" + pair
	}
	return base + frag
}
