package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"
)

// Listener is one address and the handler served there.
type Listener struct {
	Name    string // "public" or "admin", for logs
	Addr    string
	BaseURL string // where clients reach it, for the start line
	Handler http.Handler
	// Private listeners (the admin API, which has no authentication) warn at start when
	// they are reachable from beyond this machine.
	Private bool
}

// Run serves every listener until ctx is done, then shuts down gracefully: new connections are
// refused and requests in flight get up to grace to finish. A listener that cannot bind is an
// error returned at once (and the others are stopped).
func Run(ctx context.Context, log *slog.Logger, grace time.Duration, listeners ...Listener) error {
	servers := make([]*http.Server, 0, len(listeners))
	nets := make([]net.Listener, 0, len(listeners))
	for _, l := range listeners {
		ln, err := net.Listen("tcp", l.Addr)
		if err != nil {
			for _, n := range nets {
				_ = n.Close()
			}
			return fmt.Errorf("%s listener: %w", l.Name, err)
		}
		nets = append(nets, ln)
		servers = append(servers, &http.Server{
			Handler:           l.Handler,
			ReadHeaderTimeout: 10 * time.Second,
			ReadTimeout:       30 * time.Second,
			WriteTimeout:      60 * time.Second,
			IdleTimeout:       120 * time.Second,
			ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
		})
	}
	errc := make(chan error, len(servers))
	for i, s := range servers {
		l := listeners[i]
		log.Info("listening", "listener", l.Name, "address", nets[i].Addr().String(), "base_url", l.BaseURL)
		if l.Private && !isLoopback(nets[i].Addr()) {
			log.Warn("the "+l.Name+" API has no authentication and listens beyond this machine: keep its port unreachable from untrusted networks",
				"listener", l.Name, "address", nets[i].Addr().String())
		}
		go func(s *http.Server, ln net.Listener) {
			if err := s.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
				errc <- err
			}
		}(s, nets[i])
	}
	var runErr error
	select {
	case <-ctx.Done():
		log.Info("shutting down, letting requests in flight finish")
	case runErr = <-errc:
	}
	sctx, cancel := context.WithTimeout(context.Background(), grace)
	defer cancel()
	for _, s := range servers {
		if err := s.Shutdown(sctx); err != nil && runErr == nil {
			runErr = fmt.Errorf("shutdown: %w", err)
		}
	}
	return runErr
}

// isLoopback reports whether a bound address accepts only connections from this machine.
func isLoopback(a net.Addr) bool {
	t, ok := a.(*net.TCPAddr)
	return ok && t.IP.IsLoopback()
}
