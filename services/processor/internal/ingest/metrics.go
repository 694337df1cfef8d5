package ingest

import (
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promauto"
)

// Metrics are the consumer's Prometheus series.
type Metrics struct {
	Consumed prometheus.Counter
	Lag      *prometheus.GaugeVec
	Flushes  *prometheus.CounterVec
}

// NewMetrics registers the consumer metrics on reg.
func NewMetrics(reg prometheus.Registerer) *Metrics {
	f := promauto.With(reg)
	m := &Metrics{
		Consumed: f.NewCounter(prometheus.CounterOpts{
			Name: "cem_processor_messages_consumed_total",
			Help: "Kafka messages fetched from cem.events (replays after a rebalance or restart count again).",
		}),
		Lag: f.NewGaugeVec(prometheus.GaugeOpts{
			Name: "cem_processor_consumer_lag",
			Help: "Records of an owned partition not yet written: its high-water mark (from the latest fetch or the broker probe every CEM_PROCESSOR_PROBE_INTERVAL) minus the next offset to commit. Records fetched but not yet written count, and it keeps growing while flushes are stuck (ClickHouse down).",
		}, []string{"partition"}),
		Flushes: f.NewCounterVec(prometheus.CounterOpts{
			Name: "cem_processor_flushes_total",
			Help: "Flushes started during a generation, by what triggered them: rows (CEM_PROCESSOR_FLUSH_ROWS pending), interval (the oldest pending record CEM_PROCESSOR_FLUSH_INTERVAL old) or busy_interval (CEM_PROCESSOR_FLUSH_BUSY_ROWS or more pending, the oldest CEM_PROCESSOR_FLUSH_BUSY_INTERVAL old). The final flush of a generation is not counted.",
		}, []string{"trigger"}),
	}
	for _, t := range []string{"rows", "interval", "busy_interval"} {
		m.Flushes.WithLabelValues(t)
	}
	return m
}
