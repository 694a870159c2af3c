package server

import (
	"context"
	"time"

	"github.com/portico-auth/portico/internal/cleanup"
)

// cleanupBatch bounds each delete so a cleanup never holds long locks.
const cleanupBatch = 500

// StartCleanup deletes expired flows, sessions, login-failure counters and delivered courier
// messages (cleanup.Default retention) and audit events older than audit.retention in small batches every ten minutes until ctx is done or the returned stop
// function is called. Every instance may run it: the deletes are small and idempotent.
func (a *App) StartCleanup(ctx context.Context) (stop func()) {
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		t := time.NewTicker(10 * time.Minute)
		defer t.Stop()
		keep := cleanup.Default
		keep.Events = a.Config.Audit.Retention
		for {
			if _, err := cleanup.Run(ctx, a.Store, a.Now(), keep, cleanupBatch, nil); err != nil && ctx.Err() == nil {
				a.Log.Warn("cleanup", "error", err)
			}
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
		}
	}()
	return func() { cancel(); <-done }
}
