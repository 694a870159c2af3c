package testdb

import (
	"fmt"
	"sync"
	"testing"
)

// Reports collects what a test's concurrent workers found wrong, safe to add to from many
// goroutines. It keeps the first ten: a fault that repeats in every one of thousands of
// requests still prints as a short list.
type Reports struct {
	mu   sync.Mutex
	list []string
}

// Add records one finding, as fmt.Sprintf formats it.
func (r *Reports) Add(format string, args ...any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.list) < 10 {
		r.list = append(r.list, fmt.Sprintf(format, args...))
	}
}

// Fail reports each finding to t as an error; none, nothing.
func (r *Reports) Fail(t testing.TB) {
	t.Helper()
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, b := range r.list {
		t.Error(b)
	}
}
