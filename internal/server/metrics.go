package server

import (
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// metrics counts requests and their latency by listener, method, route pattern and status.
// Route patterns (not raw paths) keep the label set bounded. It also counts the audit events
// of no identity that are not stored (audithttp.Recorder.Unstored), by event type and method:
// both are Portico's own names, so that label set is bounded too.
type metrics struct {
	registry *prometheus.Registry
	requests *prometheus.CounterVec
	latency  *prometheus.HistogramVec
	unstored *prometheus.CounterVec
}

func newMetrics() *metrics {
	reg := prometheus.NewRegistry()
	m := &metrics{
		registry: reg,
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "portico_http_requests_total",
			Help: "HTTP requests served, by listener, method, route and status code.",
		}, []string{"listener", "method", "route", "code"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "portico_http_request_duration_seconds",
			Help:    "HTTP request latency, by listener, method and route.",
			Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5},
		}, []string{"listener", "method", "route"}),
		unstored: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "portico_audit_events_unstored_total",
			Help: "Audit events not stored because they name no identity (attempts on identifiers, codes or keys no identity holds), by type and method.",
		}, []string{"type", "method"}),
	}
	reg.MustRegister(m.requests, m.latency, m.unstored,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

func (m *metrics) observe(listener, method, route string, status int, d time.Duration) {
	m.requests.WithLabelValues(listener, method, route, strconv.Itoa(status)).Inc()
	m.latency.WithLabelValues(listener, method, route).Observe(d.Seconds())
}

// countUnstored counts one audit event of no identity that was not stored.
func (m *metrics) countUnstored(typ, method string) {
	m.unstored.WithLabelValues(typ, method).Inc()
}

func (m *metrics) handler() http.Handler {
	return promhttp.HandlerFor(m.registry, promhttp.HandlerOpts{})
}
