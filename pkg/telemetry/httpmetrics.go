package telemetry

import (
	"net/http"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// HTTPMetrics count and time a service's requests by endpoint:
// cem_<service>_requests_total{endpoint,code} and
// cem_<service>_request_duration_seconds{endpoint}, recorded by promhttp's
// instrumentation. Endpoint names must be bounded (route patterns or fixed
// names, never raw paths).
type HTTPMetrics struct {
	requests *prometheus.CounterVec
	duration *prometheus.HistogramVec
}

// NewHTTPMetrics registers the two metrics of service in reg; durationHelp
// says what the duration includes, buckets are in seconds.
func NewHTTPMetrics(reg prometheus.Registerer, service, durationHelp string, buckets []float64) *HTTPMetrics {
	m := &HTTPMetrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "cem_" + service + "_requests_total", Help: "HTTP requests by endpoint and status code.",
		}, []string{"endpoint", "code"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "cem_" + service + "_request_duration_seconds", Help: durationHelp, Buckets: buckets,
		}, []string{"endpoint"}),
	}
	reg.MustRegister(m.requests, m.duration)
	return m
}

// Instrument wraps h, counting and timing its requests under endpoint.
func (m *HTTPMetrics) Instrument(endpoint string, h http.Handler) http.Handler {
	labels := prometheus.Labels{"endpoint": endpoint}
	return promhttp.InstrumentHandlerDuration(m.duration.MustCurryWith(labels),
		promhttp.InstrumentHandlerCounter(m.requests.MustCurryWith(labels), h))
}
