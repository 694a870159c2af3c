package flow

import (
	"fmt"
	"net/url"
	"path"
	"strings"
	"unicode/utf8"

	"github.com/portico-auth/portico/internal/apierr"
)

// ReturnTo judges return_to parameters against selfservice.allowed_return_urls. The zero value
// allows nothing but relative paths (which need Default).
type ReturnTo struct {
	// Allowed are the configured allowed return URLs: a URL allows its origin and every path
	// under its path ("https://app/after" allows /after and /after/x, not /afterwards).
	Allowed []string
	// Public is Portico's own public base URL: any path on its origin is allowed.
	Public *url.URL
	// Default is selfservice.default_browser_return_url: relative return_to paths are resolved
	// against its origin, and any path on that origin is allowed.
	Default *url.URL
}

// MaxEchoLength bounds every client input Portico repeats back or keeps: a return_to, a
// flow's request_url, a value quoted in an error. Anonymous requests can make the server store
// a flow or an error, so what they carry must not grow storage with the input's size.
const MaxEchoLength = 2048

// Echo is s cut to at most MaxEchoLength bytes (at a UTF-8 boundary, marked with "…"), for
// quoting client input in an error or a stored document.
func Echo(s string) string {
	if len(s) <= MaxEchoLength {
		return s
	}
	const mark = "…"
	cut := MaxEchoLength - len(mark)
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + mark
}

// ForbiddenReturnTo is the error for a return_to that is not allowed; it quotes raw cut to
// MaxEchoLength.
func ForbiddenReturnTo(raw string) *apierr.Error {
	return apierr.ErrBadRequest.WithID("self_service_flow_return_to_forbidden").
		WithReason("Requested return_to URL \"%s\" is not allowed.", Echo(raw))
}

// Check returns the return_to to keep: nil for an empty raw; raw itself (parsed) when it is a
// relative path ("/path", which needs Default) or an absolute http(s) URL on an allowed origin
// and under an allowed path; and otherwise a 400 self_service_flow_return_to_forbidden error.
// A relative path stays relative: Kratos stores and echoes return_to as the client gave it
// (a flow's return_to, a login's return_to parameter), and resolves it against
// default_browser_return_url only when it sends a browser there, so callers pass what they
// keep through Resolve before redirecting. Protocol-relative URLs, backslashes, control
// characters, user info, other schemes and anything longer than MaxEchoLength are always
// refused, so a flow never keeps an oversized return_to.
func (rt *ReturnTo) Check(raw string) (*url.URL, error) {
	if raw == "" {
		return nil, nil
	}
	if len(raw) > MaxEchoLength {
		return nil, ForbiddenReturnTo(raw).WithCause(fmt.Errorf("return_to is %d bytes long, more than %d", len(raw), MaxEchoLength))
	}
	u, err := rt.check(raw)
	if err != nil {
		return nil, ForbiddenReturnTo(raw).WithCause(err)
	}
	return u, nil
}

func (rt *ReturnTo) check(raw string) (*url.URL, error) {
	for _, c := range raw {
		if c <= ' ' || c == 0x7f || c == '\\' {
			return nil, fmt.Errorf("return_to contains %q", c)
		}
	}
	if strings.HasPrefix(raw, "/") {
		if strings.HasPrefix(raw, "//") {
			return nil, fmt.Errorf("protocol-relative return_to")
		}
		if rt.Default == nil || !webOrigin(rt.Default) {
			return nil, fmt.Errorf("relative return_to without a default return URL")
		}
		rel, err := url.Parse(raw)
		if err != nil {
			return nil, fmt.Errorf("parse return_to: %w", err)
		}
		if rel.Scheme != "" || rel.Host != "" || rel.User != nil || rel.Opaque != "" {
			return nil, fmt.Errorf("relative return_to with an authority")
		}
		// "/%2f…" decodes to a path starting with "//": written back out (String, or a
		// browser's own normalising) it becomes a protocol-relative URL to another host.
		if strings.HasPrefix(rel.Path, "//") {
			return nil, fmt.Errorf("protocol-relative return_to")
		}
		return rel, nil
	}
	u, err := url.Parse(raw)
	if err != nil {
		return nil, fmt.Errorf("parse return_to: %w", err)
	}
	if !webOrigin(u) || u.User != nil || u.Opaque != "" {
		return nil, fmt.Errorf("return_to is not an absolute http(s) URL")
	}
	if rt.Public != nil && sameOrigin(u, rt.Public) {
		return u, nil
	}
	if rt.Default != nil && sameOrigin(u, rt.Default) {
		return u, nil
	}
	for _, a := range rt.Allowed {
		au, err := url.Parse(a)
		if err != nil || !webOrigin(au) {
			continue
		}
		if (sameOrigin(u, au) || wildcardOrigin(u, au)) && underPath(u.Path, au.Path) {
			return u, nil
		}
	}
	return nil, fmt.Errorf("return_to is not on an allowed URL")
}

// Resolve is where a browser is sent for a return_to that Check accepted (or a configured
// URL): a relative path ("/after?x") goes to that path on default_browser_return_url's
// origin, anything else is returned as it is. Only redirects and continue_with use it; a flow
// keeps and echoes the return_to as given.
func (rt *ReturnTo) Resolve(s string) string {
	if !strings.HasPrefix(s, "/") || strings.HasPrefix(s, "//") || rt == nil || rt.Default == nil || !webOrigin(rt.Default) {
		return s
	}
	rel, err := url.Parse(s)
	if err != nil || rel.Scheme != "" || rel.Host != "" || rel.User != nil || rel.Opaque != "" {
		return s
	}
	rel.Scheme = strings.ToLower(rt.Default.Scheme)
	rel.Host = rt.Default.Host
	return rel.String()
}

// webOrigin reports whether u is an absolute http(s) URL with a host.
func webOrigin(u *url.URL) bool {
	s := strings.ToLower(u.Scheme)
	return (s == "http" || s == "https") && u.Host != "" && u.Hostname() != ""
}

func sameOrigin(a, b *url.URL) bool {
	return strings.EqualFold(a.Scheme, b.Scheme) &&
		strings.EqualFold(a.Hostname(), b.Hostname()) &&
		port(a) == port(b)
}

// wildcardOrigin reports whether allowed names a wildcard host ("https://*.example.com", as
// Kratos accepts in allowed_return_urls) and u is on a subdomain of it, same scheme and port.
// The bare domain itself does not match, nor does a host that merely ends with the same text
// ("evilexample.com").
func wildcardOrigin(u, allowed *url.URL) bool {
	suffix, ok := strings.CutPrefix(strings.ToLower(allowed.Hostname()), "*.")
	if !ok || suffix == "" || strings.Contains(suffix, "*") {
		return false
	}
	host := strings.ToLower(u.Hostname())
	label, found := strings.CutSuffix(host, "."+suffix)
	return found && label != "" && !strings.HasSuffix(label, ".") &&
		strings.EqualFold(u.Scheme, allowed.Scheme) && port(u) == port(allowed)
}

func port(u *url.URL) string {
	if p := u.Port(); p != "" {
		return p
	}
	if strings.EqualFold(u.Scheme, "https") {
		return "443"
	}
	return "80"
}

// underPath reports whether p is allowed or below it, segment by segment, after resolving
// dot segments so that "/after/../admin" does not pass as "/after".
func underPath(p, allowed string) bool {
	allowed = strings.TrimSuffix(allowed, "/")
	if allowed == "" {
		return true
	}
	if p == "" {
		p = "/"
	}
	clean := path.Clean(p)
	return clean == allowed || strings.HasPrefix(clean, allowed+"/")
}
