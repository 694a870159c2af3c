package server

import (
	"context"
	"log/slog"
	"net/http"
	"time"

	"github.com/portico-auth/portico/internal/apierr"
	"github.com/portico-auth/portico/internal/httpx"
	"github.com/portico-auth/portico/internal/version"
)

// Pinger checks that a dependency (the database) answers.
type Pinger interface {
	Ping(ctx context.Context) error
}

func registerHealth(mux *http.ServeMux, prefix string, db Pinger, log *slog.Logger) {
	mux.HandleFunc("GET "+prefix+"/health/alive", func(w http.ResponseWriter, r *http.Request) {
		httpx.WriteJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	})
	mux.HandleFunc("GET "+prefix+"/health/ready", func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
		defer cancel()
		if err := db.Ping(ctx); err != nil {
			log.WarnContext(ctx, "readiness check failed", "error", err)
			httpx.WriteJSON(w, http.StatusServiceUnavailable, map[string]any{
				"errors": map[string]string{"database": "the database does not answer"},
			})
			return
		}
		httpx.WriteJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	})
	mux.HandleFunc("GET "+prefix+"/version", func(w http.ResponseWriter, r *http.Request) {
		httpx.WriteJSON(w, http.StatusOK, map[string]string{"version": version.Version})
	})
}

// notFound answers every unmatched route with Kratos's 404 error JSON.
func notFound(w http.ResponseWriter, r *http.Request) {
	httpx.WriteError(w, r, apierr.ErrNotFound.WithReason("No route matches %s %s.", r.Method, r.URL.Path))
}
