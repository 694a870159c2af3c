package server

import (
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strings"

	"github.com/portico-auth/portico/internal/apierr"
	"github.com/portico-auth/portico/internal/config"
	"github.com/portico-auth/portico/internal/httpx"
)

// adminGuard keeps browsers away from the admin API, which has no authentication of its own.
//
// Binding to 127.0.0.1 keeps the LAN out, but not a web page open in a browser on the same
// machine: by DNS rebinding, a name the attacker controls first resolves to their server and
// then to 127.0.0.1, so the page's requests reach the admin port with the attacker's name in
// Host. And any page can send a "simple" cross-site POST (text/plain body) to
// http://127.0.0.1:4434 blind. So the admin listener answers only requests whose Host is an IP
// address, a loopback name or a host configured for it, and refuses browser requests whose
// Origin is another site.
type adminGuard struct {
	// hosts are the configured names of the admin listener (serve.admin.host and the host of
	// serve.admin.base_url), lower case, without port or trailing dot.
	hosts map[string]bool
	// origins are the scheme://host[:port] a browser may call the admin API from: the origin
	// of serve.admin.base_url and serve.admin.cors.allowed_origins when CORS is enabled.
	origins map[string]bool
}

func newAdminGuard(cfg *config.Config) *adminGuard {
	g := &adminGuard{hosts: map[string]bool{}, origins: map[string]bool{}}
	adm := cfg.Serve.Admin
	if h := canonicalHost(adm.Host); h != "" && !isWildcard(h) {
		g.hosts[h] = true
	}
	if u, err := url.Parse(adm.BaseURL); err == nil && u.Host != "" {
		g.hosts[canonicalHost(u.Hostname())] = true
		g.origins[canonicalOrigin(u)] = true
	}
	if adm.CORS.Enabled {
		for _, o := range adm.CORS.AllowedOrigins {
			if u, err := url.Parse(o); err == nil && u.Host != "" {
				g.origins[canonicalOrigin(u)] = true
			}
		}
	}
	return g
}

// wrap answers 403 with Kratos's error JSON to a request the admin API must not serve.
func (g *adminGuard) wrap(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !g.hostAllowed(r.Host) {
			httpx.WriteError(w, r, apierr.ErrForbidden.WithReason(
				"The admin API does not answer for host %q: call it by IP address or localhost, or set serve.admin.base_url to the URL it is reached at.",
				truncate(r.Host, 100)))
			return
		}
		if o, ok := r.Header["Origin"]; ok && !g.originAllowed(strings.Join(o, ","), r.Host) {
			httpx.WriteError(w, r, apierr.ErrForbidden.WithReason(
				"The admin API does not accept requests from web pages of another origin."))
			return
		}
		next.ServeHTTP(w, r)
	})
}

// hostAllowed reports whether hostport (a request's Host) names this admin listener.
//
// Any IP literal is accepted: DNS rebinding needs a name, and a client that addresses an IP
// directly could send any Host anyway (binding, not Host, keeps such clients out). This also
// lets health probes that send the pod's IP (Kubernetes) through.
func (g *adminGuard) hostAllowed(hostport string) bool {
	h := hostport
	if host, _, err := net.SplitHostPort(hostport); err == nil {
		h = host
	}
	h = canonicalHost(strings.TrimSuffix(strings.TrimPrefix(h, "["), "]"))
	switch {
	case h == "":
		// HTTP/1.0 without Host: not a browser, which always sends one.
		return true
	case isIP(h):
		return true
	case h == "localhost" || strings.HasSuffix(h, ".localhost"):
		// Browsers resolve *.localhost to loopback themselves (RFC 6761), so no attacker's
		// DNS answers for it.
		return true
	}
	return g.hosts[h]
}

// originAllowed reports whether a browser page at origin may call the admin API: a page the
// admin listener served itself (same origin as the request), the admin base URL's origin or a
// CORS-allowed origin.
func (g *adminGuard) originAllowed(origin, requestHost string) bool {
	u, err := url.Parse(origin)
	if err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
		// "null" (sandboxed frames, file://) and anything unparseable.
		return false
	}
	if strings.EqualFold(u.Host, requestHost) {
		return true
	}
	return g.origins[canonicalOrigin(u)]
}

func canonicalHost(h string) string { return strings.TrimSuffix(strings.ToLower(h), ".") }

func canonicalOrigin(u *url.URL) string {
	return strings.ToLower(u.Scheme) + "://" + strings.TrimSuffix(strings.ToLower(u.Host), ".")
}

func isIP(h string) bool {
	_, err := netip.ParseAddr(h)
	return err == nil
}

// isWildcard reports whether a listener host means "every interface".
func isWildcard(h string) bool {
	a, err := netip.ParseAddr(h)
	return err == nil && a.IsUnspecified()
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
