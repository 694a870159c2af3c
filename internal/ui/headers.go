package ui

import (
	"net/http"
	"net/url"
	"sort"
	"strings"
)

// setSecurityHeaders sets the strict headers every page carries. formOrigins are origins that
// forms may post to besides this one (a flow's ui.action on another host); scriptSources are
// the origins (or 'nonce-…' sources) of a flow's script nodes.
func setSecurityHeaders(w http.ResponseWriter, formOrigins, scriptSources []string) {
	h := w.Header()
	csp := []string{
		"default-src 'self'",
		"script-src " + sources("'self'", scriptSources),
		"style-src 'self'",
		"img-src 'self' data:",
		"form-action " + sources("'self'", formOrigins),
		"frame-ancestors 'none'",
		"base-uri 'none'",
		"object-src 'none'",
	}
	h.Set("Content-Security-Policy", strings.Join(csp, "; "))
	h.Set("X-Frame-Options", "DENY")
	h.Set("Referrer-Policy", "same-origin")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Cache-Control", "no-store")
	h.Set("Cross-Origin-Opener-Policy", "same-origin")
}

// sources joins first and the distinct extra sources.
func sources(first string, extra []string) string {
	set := map[string]bool{}
	for _, s := range extra {
		if s != "" && s != first && !strings.ContainsAny(s, " ;,\r\n") {
			set[s] = true
		}
	}
	out := make([]string, 0, len(set))
	for s := range set {
		out = append(out, s)
	}
	sort.Strings(out)
	return strings.Join(append([]string{first}, out...), " ")
}

// origin is scheme://host of an absolute http(s) URL, or "" for anything else.
func origin(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return ""
	}
	return u.Scheme + "://" + u.Host
}
