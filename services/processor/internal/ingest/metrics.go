package ingest

import (
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promauto"
)

// Metrics are the consumer's Prometheus series.
type Metrics struct {
	Consumed prometheus.Counter
	Lag      *prometheus.GaugeVec
}

// NewMetrics registers the consumer metrics on reg.
func NewMetrics(reg prometheus.Registerer) *Metrics {
	f := promauto.With(reg)
	return &Metrics{
		Consumed: f.NewCounter(prometheus.CounterOpts{
			Name: "cem_processor_messages_consumed_total",
			Help: "Kafka messages fetched from cem.events (replays after a rebalance or restart count again).",
		}),
		Lag: f.NewGaugeVec(prometheus.GaugeOpts{
			Name: "cem_processor_consumer_lag",
			Help: "Messages of an owned partition not yet written: its high watermark at the last fetch minus the next offset to commit (messages fetched but not yet processed count).",
		}, []string{"partition"}),
	}
}
