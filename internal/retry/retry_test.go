package retry

import (
	"math"
	"testing"
	"time"
)

func TestBackoff(t *testing.T) {
	for _, c := range []struct {
		base, max time.Duration
		n         int
		want      time.Duration
	}{
		{time.Second, time.Minute, 1, time.Second},
		{time.Second, time.Minute, 2, 2 * time.Second},
		{time.Second, time.Minute, 4, 8 * time.Second},
		{time.Second, time.Minute, 7, time.Minute},
		{time.Second, time.Minute, 1000, time.Minute},
		{200 * time.Millisecond, 0, 3, 800 * time.Millisecond},
		{time.Minute, time.Second, 1, time.Second},
		// No cap: the doubling stops at the longest duration instead of overflowing.
		{time.Second, 0, 34, time.Duration(1<<33) * time.Second},
		{time.Second, 0, 100, math.MaxInt64},
		{time.Nanosecond, 0, 100, math.MaxInt64},
		{time.Second, 0, math.MaxInt, math.MaxInt64},
		{0, 0, 100, 0},
	} {
		if got := Backoff(c.base, c.max, c.n); got != c.want {
			t.Errorf("Backoff(%v, %v, %d) = %v, want %v", c.base, c.max, c.n, got, c.want)
		}
	}
}

func TestDefault(t *testing.T) {
	for _, c := range []struct{ v, want int }{{0, 7}, {-3, 7}, {2, 2}} {
		v := c.v
		Default(&v, 7)
		if v != c.want {
			t.Errorf("Default(%d, 7) = %d, want %d", c.v, v, c.want)
		}
	}
}
