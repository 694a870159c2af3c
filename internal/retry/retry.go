// Package retry holds what the callers that try again share: the doubling wait between
// attempts and the defaulting of their knobs (a courier worker, a web hook caller).
package retry

import (
	"cmp"
	"math"
	"time"
)

// Backoff is the wait after the n-th failed attempt (n from 1): base doubled n-1 times, at
// most max when max is positive. The doubling stops at the longest time.Duration rather than
// overflow into a negative or zero wait (which time.After fires at once), so however large n
// is, the wait never shrinks and the loop runs at most 63 times.
func Backoff(base, max time.Duration, n int) time.Duration {
	d := base
	for i := 1; i < n && d > 0 && (max <= 0 || d < max); i++ {
		if d > math.MaxInt64/2 {
			d = math.MaxInt64
			break
		}
		d *= 2
	}
	if max > 0 {
		return min(d, max)
	}
	return d
}

// Default sets *v to def when it is zero or negative (an unset or unusable setting).
func Default[T cmp.Ordered](v *T, def T) {
	var zero T
	if *v <= zero {
		*v = def
	}
}
