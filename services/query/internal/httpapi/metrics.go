package httpapi

import (
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promauto"

	"github.com/cemhq/cem/services/query/internal/chstore"
)

// Metrics are the HTTP metrics of the query API.
type Metrics struct {
	requests *prometheus.CounterVec
	duration *prometheus.HistogramVec
	errors   *prometheus.CounterVec
}

// NewMetrics registers cem_query_requests_total{endpoint,code},
// cem_query_request_duration_seconds{endpoint} and
// cem_query_errors_total{endpoint} (5xx answers) in reg.
func NewMetrics(reg prometheus.Registerer) *Metrics {
	f := promauto.With(reg)
	return &Metrics{
		requests: f.NewCounterVec(prometheus.CounterOpts{
			Name: "cem_query_requests_total", Help: "API requests by endpoint (route pattern) and status code.",
		}, []string{"endpoint", "code"}),
		duration: f.NewHistogramVec(prometheus.HistogramOpts{
			Name: "cem_query_request_duration_seconds", Help: "API request latency by endpoint.",
			Buckets: []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60},
		}, []string{"endpoint"}),
		errors: f.NewCounterVec(prometheus.CounterOpts{
			Name: "cem_query_errors_total", Help: "API requests answered with a 5xx status, by endpoint.",
		}, []string{"endpoint"}),
	}
}

type statusWriter struct {
	http.ResponseWriter
	code int
}

func (s *statusWriter) WriteHeader(code int) {
	if s.code == 0 {
		s.code = code
	}
	s.ResponseWriter.WriteHeader(code)
}

func (s *statusWriter) Write(b []byte) (int, error) {
	if s.code == 0 {
		s.code = http.StatusOK
	}
	return s.ResponseWriter.Write(b)
}

// instrument counts and times requests of one endpoint (a route pattern,
// so label values stay bounded) and labels the context for ClickHouse
// timings.
func (m *Metrics) instrument(endpoint string, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		sw := &statusWriter{ResponseWriter: w}
		next.ServeHTTP(sw, r.WithContext(chstore.WithEndpoint(r.Context(), endpoint)))
		if sw.code == 0 {
			sw.code = http.StatusOK
		}
		m.requests.WithLabelValues(endpoint, strconv.Itoa(sw.code)).Inc()
		m.duration.WithLabelValues(endpoint).Observe(time.Since(start).Seconds())
		if sw.code >= 500 {
			m.errors.WithLabelValues(endpoint).Inc()
		}
	})
}
