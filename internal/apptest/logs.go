package apptest

import (
	"bytes"
	"log/slog"
	"sync"
)

// Logs collects the server's log lines as JSON (the server writes from many goroutines).
type Logs struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

// WithLogs gives the server a JSON logger at debug level writing into l.
func WithLogs(l *Logs) Option {
	return WithLogger(slog.New(slog.NewJSONHandler(l, &slog.HandlerOptions{Level: slog.LevelDebug})))
}

// Write implements io.Writer.
func (l *Logs) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

// String is every line written so far.
func (l *Logs) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}
