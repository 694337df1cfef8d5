package pipeline

import (
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promauto"
)

// Metrics are the pipeline's Prometheus series.
type Metrics struct {
	DLQ        *prometheus.CounterVec
	Latency    prometheus.Histogram
	Suppressed prometheus.Counter
}

// NewMetrics registers the pipeline metrics on reg.
func NewMetrics(reg prometheus.Registerer) *Metrics {
	f := promauto.With(reg)
	return &Metrics{
		DLQ: f.NewCounterVec(prometheus.CounterOpts{
			Name: "cem_processor_dlq_total",
			Help: "Messages sent to the DLQ, by reason (decode, schema, processing).",
		}, []string{"reason"}),
		Latency: f.NewHistogram(prometheus.HistogramOpts{
			Name:    "cem_processor_end_to_end_latency_seconds",
			Help:    "Time from the collector's receivedAt to the event's rows being written to ClickHouse.",
			Buckets: prometheus.ExponentialBuckets(0.05, 2, 14),
		}),
		Suppressed: f.NewCounter(prometheus.CounterOpts{
			Name: "cem_processor_suppressed_total",
			Help: "Events dropped because their ids were erased on request (GDPR).",
		}),
	}
}
