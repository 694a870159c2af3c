package server

import (
	"context"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/portico-auth/portico/internal/apierr"
	"github.com/portico-auth/portico/internal/httpx"
	"github.com/portico-auth/portico/internal/version"
)

// ReadyDatabase is what /health/ready checks: that the database answers and takes a write.
type ReadyDatabase interface {
	Ping(ctx context.Context) error
	// CheckWrite makes a small committed write.
	CheckWrite(ctx context.Context) error
}

// readyCacheFor is how long one readiness result answers every probe: load balancers poll
// /health/ready, and on the public listener anyone can, so it costs the database at most one
// small write per second per instance however often it is called.
const readyCacheFor = time.Second

// readyTimeout bounds one check; a database slower than this is not ready.
const readyTimeout = 2 * time.Second

// readiness checks the database for /health/ready, at most once per readyCacheFor; callers
// arriving during a check wait for its result instead of starting another.
type readiness struct {
	db  ReadyDatabase
	log *slog.Logger
	now func() time.Time

	mu  sync.Mutex
	at  time.Time // when err was found; zero before the first check
	err error
}

func newReadiness(db ReadyDatabase, log *slog.Logger, now func() time.Time) *readiness {
	return &readiness{db: db, log: log, now: now}
}

func (r *readiness) check(ctx context.Context) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if !r.at.IsZero() && r.now().Sub(r.at) < readyCacheFor {
		return r.err
	}
	// Not the caller's context: a probe that hangs up must not turn into a cached failure.
	cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), readyTimeout)
	defer cancel()
	err := r.db.Ping(cctx)
	if err == nil {
		err = r.db.CheckWrite(cctx)
	}
	if err != nil {
		r.log.WarnContext(ctx, "readiness check failed", "error", err)
	}
	r.at, r.err = r.now(), err
	return err
}

func registerHealth(mux *http.ServeMux, prefix string, ready *readiness) {
	mux.HandleFunc("GET "+prefix+"/health/alive", func(w http.ResponseWriter, r *http.Request) {
		httpx.WriteJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	})
	mux.HandleFunc("GET "+prefix+"/health/ready", func(w http.ResponseWriter, r *http.Request) {
		if err := ready.check(r.Context()); err != nil {
			httpx.WriteJSON(w, http.StatusServiceUnavailable, map[string]any{
				"errors": map[string]string{"database": "the database does not answer or cannot take a write"},
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
