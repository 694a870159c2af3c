package server

import (
	"net/http"
	"net/url"
	"path"
	"strings"
)

// publicOnAdmin are the public routes the admin listener sends on to the public base URL with
// 307, as Kratos does, so that a client configured with the admin URL for both (Ory's CLI
// fetching a schema, an SDK starting a flow) still works. Each is also answered under the
// /admin prefix. The public listener never does the reverse: admin routes stay 404 there.
var publicOnAdmin = []string{
	"GET /self-service/",
	"POST /self-service/",
	"GET /schemas",
	"GET /schemas/{id}",
	"GET /sessions/whoami",
	"POST /sessions/whoami",
	"PUT /sessions/whoami",
}

func registerPublicRedirects(adm *http.ServeMux, public *url.URL) {
	h := redirectToPublic(public)
	for _, p := range publicOnAdmin {
		method, route, _ := strings.Cut(p, " ")
		adm.Handle(p, h)
		adm.Handle(method+" /admin"+route, h)
	}
}

// redirectToPublic answers 307 (the method and body are kept) to the same path, without the
// /admin prefix, and query on the public base URL.
func redirectToPublic(public *url.URL) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p := r.URL.Path
		if rest, ok := strings.CutPrefix(p, "/admin/"); ok {
			p = "/" + rest
		}
		dest := url.URL{
			Scheme:   public.Scheme,
			Host:     public.Host,
			Path:     path.Join(public.Path, p),
			RawQuery: r.URL.RawQuery,
		}
		if strings.HasSuffix(p, "/") && !strings.HasSuffix(dest.Path, "/") {
			dest.Path += "/"
		}
		http.Redirect(w, r, dest.String(), http.StatusTemporaryRedirect)
	})
}
