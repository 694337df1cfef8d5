package chstore

import (
	"context"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promauto"
)

// Metrics records ClickHouse query time per API endpoint and the queries
// killed because their request ended.
type Metrics struct {
	duration *prometheus.HistogramVec
	kills    *prometheus.CounterVec
}

// NewMetrics registers cem_query_clickhouse_duration_seconds{endpoint} and
// cem_query_clickhouse_kills_total{outcome} in reg.
func NewMetrics(reg prometheus.Registerer) *Metrics {
	return &Metrics{
		duration: promauto.With(reg).NewHistogramVec(prometheus.HistogramOpts{
			Name:    "cem_query_clickhouse_duration_seconds",
			Help:    "Time spent in ClickHouse statements, per API endpoint.",
			Buckets: []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30},
		}, []string{"endpoint"}),
		kills: promauto.With(reg).NewCounterVec(prometheus.CounterOpts{
			Name: "cem_query_clickhouse_kills_total",
			Help: "ClickHouse queries killed (KILL QUERY) because their API request timed out or its client went away, by outcome (ok, error).",
		}, []string{"outcome"}),
	}
}

func (m *Metrics) killed(err error) {
	outcome := "ok"
	if err != nil {
		outcome = "error"
	}
	m.kills.WithLabelValues(outcome).Inc()
}

func (m *Metrics) observe(endpoint string, d time.Duration) {
	m.duration.WithLabelValues(endpoint).Observe(d.Seconds())
}

type endpointKey struct{}

// WithEndpoint returns ctx labelled with the API endpoint (a route pattern,
// never a raw path) for the ClickHouse duration metric.
func WithEndpoint(ctx context.Context, endpoint string) context.Context {
	return context.WithValue(ctx, endpointKey{}, endpoint)
}

// EndpointFrom returns the endpoint label of ctx, "other" when none.
func EndpointFrom(ctx context.Context) string {
	if s, ok := ctx.Value(endpointKey{}).(string); ok && s != "" {
		return s
	}
	return "other"
}
