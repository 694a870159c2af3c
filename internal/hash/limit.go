package hash

import (
	"context"
	"errors"
	"runtime"
	"sync/atomic"
	"time"

	"golang.org/x/sync/semaphore"

	"github.com/portico-auth/portico/internal/apierr"
)

// Defaults of the hashing limit.
const (
	// DefaultMemoryBudget is what all concurrent hashes together may use (Kratos's default
	// hashers.argon2.dedicated_memory): with argon2's default 128 MiB, eight at a time at
	// most, and never more than there are CPUs.
	DefaultMemoryBudget = 1 << 30
	// DefaultQueuePerSlot is how many hashes may wait per hash that may run: the queue, not a
	// clock, decides when to refuse, so a slow CPU makes sign-ins slower, not failed, while a
	// flood of anonymous requests cannot pile up waiting goroutines without end.
	DefaultQueuePerSlot = 16
	// DefaultMaxWait is a backstop on how long one hash waits for its turn: far longer than any
	// client waits, it only ends waits that nothing else would.
	DefaultMaxWait = 2 * time.Minute
)

// ErrBusy means the hashing queue is full (or a hash waited MaxWait for its turn): the request
// is answered 503 (Kratos's error JSON) instead of queueing without end. It is an apierr 503 so
// that every caller's error path writes it as such.
var ErrBusy = apierr.ErrUnavailable.
	WithReason("Too many passwords are being checked at the moment. Please try again shortly.")

// limiter bounds the memory and the number of concurrent hashes. Every hash, compare and
// dummy compare takes a weight out of one memory budget: its memory, but at least a
// 1/GOMAXPROCS share (so cheap hashes still run at most one per CPU, which is all the CPU
// can do anyway) and at most the whole budget (so a hash larger than the budget runs alone).
// At most queuePerSlot hashes per slot wait; past that a hash is refused at once. Waiting is
// bounded by the request's context and the MaxWait backstop.
type limiter struct {
	sem          *semaphore.Weighted
	budget       int64
	share        int64
	maxWait      time.Duration
	queuePerSlot int64

	waiting, inFlight, peak atomic.Int64
}

func newLimiter(budget uint64, maxWait time.Duration, queuePerSlot int) *limiter {
	if budget == 0 {
		budget = DefaultMemoryBudget
	}
	if maxWait <= 0 {
		maxWait = DefaultMaxWait
	}
	if queuePerSlot <= 0 {
		queuePerSlot = DefaultQueuePerSlot
	}
	b := int64(min(budget, 1<<50))
	return &limiter{sem: semaphore.NewWeighted(b), budget: b, share: max(b/int64(runtime.GOMAXPROCS(0)), 1),
		maxWait: maxWait, queuePerSlot: int64(queuePerSlot)}
}

// weight is what a hash using memory bytes takes out of the budget.
func (l *limiter) weight(memory uint64) int64 {
	w := int64(min(memory, uint64(l.budget)))
	return min(max(w, l.share), l.budget)
}

// slots is how many hashes of memory bytes may run at once.
func (l *limiter) slots(memory uint64) int { return int(l.budget / l.weight(memory)) }

// do runs f once memory bytes of the budget are free; it returns ErrBusy when the queue is
// full or after MaxWait, and ctx's error when the request ends first.
func (l *limiter) do(ctx context.Context, memory uint64, f func()) error {
	w := l.weight(memory)
	// Reserve a place in the queue before waiting, so a burst cannot overshoot it.
	if l.waiting.Add(1) > l.queuePerSlot*int64(l.slots(memory)) {
		l.waiting.Add(-1)
		return ErrBusy
	}
	wctx, cancel := context.WithTimeout(ctx, l.maxWait)
	err := l.sem.Acquire(wctx, w)
	cancel()
	l.waiting.Add(-1)
	if err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if errors.Is(err, context.DeadlineExceeded) {
			return ErrBusy
		}
		return err
	}
	defer l.sem.Release(w)
	n := l.inFlight.Add(1)
	for {
		p := l.peak.Load()
		if n <= p || l.peak.CompareAndSwap(p, n) {
			break
		}
	}
	defer l.inFlight.Add(-1)
	f()
	return nil
}

// Stats are the hashing limiter's figures.
type Stats struct {
	// Limit is how many hashes of the configured algorithm may run at once.
	Limit int
	// InFlight is how many run now; Peak the most that ever ran at once.
	InFlight, Peak int
}

// Stats reports the limit and how many hashes run now and ran at most at once.
func (h *Hasher) Stats() Stats {
	return Stats{Limit: h.limit.slots(h.memory()), InFlight: int(h.limit.inFlight.Load()), Peak: int(h.limit.peak.Load())}
}

// memory is the memory one hash of the configured algorithm uses.
func (h *Hasher) memory() uint64 {
	if h.opts.Algorithm == AlgorithmArgon2 {
		return uint64(h.opts.Argon2.Memory) * 1024
	}
	return bcryptMemory
}

// bcryptMemory is about what one bcrypt computation holds (its 4 KiB state and key schedule).
const bcryptMemory = 5 << 10

// memoryOf is the memory verifying against a stored hash uses: its own parameters, not the
// configured ones (an imported hash may be far larger).
func memoryOf(v verifier) uint64 {
	switch v := v.(type) {
	case argon2Hash:
		return v.params["m"] * 1024
	case scryptHash:
		return uint64(v.n) * v.params["r"] * 128
	}
	return bcryptMemory
}
