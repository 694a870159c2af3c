package server

import (
	"context"
	"time"
)

// cleanupBatch bounds each delete so a cleanup never holds long locks.
const cleanupBatch = 500

// StartCleanup deletes expired flows and sessions in small batches in the background until
// ctx is done or the returned stop function is called. Rows are kept for a grace day after
// expiry so an expired flow can still answer 410 with a fresh one.
func (a *App) StartCleanup(ctx context.Context) (stop func()) {
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		t := time.NewTicker(10 * time.Minute)
		defer t.Stop()
		for {
			a.Cleanup(ctx, a.Now().Add(-24*time.Hour))
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
		}
	}()
	return func() { cancel(); <-done }
}

// Cleanup deletes flows and sessions that expired before cutoff, batch by batch, and returns
// how many of each it deleted.
func (a *App) Cleanup(ctx context.Context, cutoff time.Time) (flows, sessions int) {
	for ctx.Err() == nil {
		n, err := a.Store.DeleteFlowsExpiredBefore(ctx, cutoff, cleanupBatch)
		if err != nil {
			a.Log.Warn("flow cleanup", "error", err)
			break
		}
		flows += n
		if n < cleanupBatch {
			break
		}
	}
	for ctx.Err() == nil {
		n, err := a.Store.DeleteSessionsExpiredBefore(ctx, cutoff, cleanupBatch)
		if err != nil {
			a.Log.Warn("session cleanup", "error", err)
			break
		}
		sessions += n
		if n < cleanupBatch {
			break
		}
	}
	for ctx.Err() == nil {
		n, err := a.Store.DeleteFailuresBefore(ctx, cutoff, cleanupBatch)
		if err != nil {
			a.Log.Warn("login failure cleanup", "error", err)
			break
		}
		if n < cleanupBatch {
			break
		}
	}
	return flows, sessions
}
