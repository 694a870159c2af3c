package server

import (
	"net/http"
	"net/http/pprof"
	"strings"

	"github.com/portico-auth/portico/internal/config"
)

// WithPprof serves Go's profiler under /debug/pprof/ in front of h. It is opt-in (serve
// --pprof) and meant for the admin listener only: profiles reveal memory contents and cost CPU,
// so they must never be reachable from the public listener. The handlers are mounted on a mux of
// our own rather than through net/http/pprof's side-effect registration on DefaultServeMux.
// They answer only what the admin API answers (cfg's admin hosts, no foreign Origin): a heap
// profile read by a DNS-rebinding page would leak secrets.
func WithPprof(h http.Handler, cfg *config.Config) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	guarded := newAdminGuard(cfg).wrap(mux)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.Path, "/debug/pprof/") {
			guarded.ServeHTTP(w, r)
			return
		}
		h.ServeHTTP(w, r)
	})
}
