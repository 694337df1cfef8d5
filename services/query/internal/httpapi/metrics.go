package httpapi

import (
	"net/http"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/cemhq/cem/pkg/telemetry"
	"github.com/cemhq/cem/services/query/internal/chstore"
)

// Metrics are the HTTP metrics of the query API.
type Metrics struct {
	http *telemetry.HTTPMetrics
}

// NewMetrics registers cem_query_requests_total{endpoint,code} (errors are
// its code=~"5.." series) and cem_query_request_duration_seconds{endpoint}
// in reg.
func NewMetrics(reg prometheus.Registerer) *Metrics {
	return &Metrics{http: telemetry.NewHTTPMetrics(reg, "query", "API request latency by endpoint (route pattern).",
		[]float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60})}
}

// instrument counts and times requests of one endpoint (a route pattern,
// so label values stay bounded) and labels the context for ClickHouse
// timings.
func (m *Metrics) instrument(endpoint string, next http.Handler) http.Handler {
	return m.http.Instrument(endpoint, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		next.ServeHTTP(w, r.WithContext(chstore.WithEndpoint(r.Context(), endpoint)))
	}))
}
