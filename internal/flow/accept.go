package flow

import (
	"mime"
	"net/http"
	"strconv"
	"strings"
)

// WantsJSON decides once per request whether the caller gets JSON (an API client, an SPA's
// AJAX call) or browser replies (redirects). It is JSON when the request carries
// Content-Type: application/json, or when content negotiation on Accept prefers
// application/json over text/html. Equal preference goes to the more specific match, and a
// full tie (no Accept, "*/*") to text/html: so Chrome's Accept is a browser and axios'
// "application/json, text/plain, */*" is JSON.
func WantsJSON(r *http.Request) bool {
	if ct := r.Header.Get("Content-Type"); ct != "" {
		if mt, _, err := mime.ParseMediaType(ct); err == nil && mt == "application/json" {
			return true
		}
	}
	accept := strings.Join(r.Header.Values("Accept"), ",")
	if strings.TrimSpace(accept) == "" {
		return false
	}
	jq, js := match(accept, "application", "json")
	hq, hs := match(accept, "text", "html")
	if jq != hq {
		return jq > hq
	}
	return jq > 0 && js > hs
}

// match returns the quality the Accept header gives type/sub and the specificity of the
// range that gave it (2 exact, 1 type/*, 0 */*, -1 no match). The most specific range wins,
// as RFC 9110 prescribes.
func match(accept, typ, sub string) (q float64, spec int) {
	spec = -1
	for _, part := range strings.Split(accept, ",") {
		fields := strings.Split(part, ";")
		rng := strings.ToLower(strings.TrimSpace(fields[0]))
		t, s, ok := strings.Cut(rng, "/")
		if !ok {
			continue
		}
		var sp int
		switch {
		case t == typ && s == sub:
			sp = 2
		case t == typ && s == "*":
			sp = 1
		case t == "*" && s == "*":
			sp = 0
		default:
			continue
		}
		if sp < spec {
			continue
		}
		pq := 1.0
		for _, p := range fields[1:] {
			k, v, _ := strings.Cut(strings.TrimSpace(p), "=")
			if strings.EqualFold(strings.TrimSpace(k), "q") {
				f, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
				if err != nil || f < 0 || f > 1 {
					f = 0
				}
				pq = f
			}
		}
		if sp > spec || pq > q {
			q, spec = pq, sp
		}
	}
	if spec < 0 {
		return 0, -1
	}
	return q, spec
}
