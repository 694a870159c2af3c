package flow

import "log/slog"

// Logger returns l, or slog.Default() when l is nil, so that handlers built without a
// logger (in tests, say) still log somewhere. Servers inject their configured logger.
func Logger(l *slog.Logger) *slog.Logger {
	if l != nil {
		return l
	}
	return slog.Default()
}
