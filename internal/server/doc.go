// Package server wires Portico together: it builds every component from the configuration
// and the store (the one place dependencies are assembled), mounts their routes on the public
// and admin listeners, wraps both with the shared middleware (request id, log line, panic
// recovery, body limit, metrics) and runs them with a graceful shutdown.
package server
