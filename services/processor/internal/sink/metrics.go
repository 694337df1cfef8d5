package sink

import (
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promauto"
)

// Metrics are the Writer's Prometheus series.
type Metrics struct {
	RowsWritten    *prometheus.CounterVec
	InsertDuration *prometheus.HistogramVec
	BatchRows      *prometheus.HistogramVec
	InsertErrors   *prometheus.CounterVec
	InsertRetries  *prometheus.CounterVec
	Ready          prometheus.Gauge
}

// NewMetrics registers the Writer's metrics on reg.
func NewMetrics(reg prometheus.Registerer) *Metrics {
	f := promauto.With(reg)
	return &Metrics{
		RowsWritten: f.NewCounterVec(prometheus.CounterOpts{
			Name: "cem_processor_rows_written_total",
			Help: "Rows inserted into ClickHouse, by table.",
		}, []string{"table"}),
		InsertDuration: f.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "cem_processor_insert_duration_seconds",
			Help:    "Duration of one successful ClickHouse INSERT, by table.",
			Buckets: prometheus.ExponentialBuckets(0.005, 2, 12),
		}, []string{"table"}),
		BatchRows: f.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "cem_processor_insert_batch_rows",
			Help:    "Rows per ClickHouse INSERT, by table.",
			Buckets: prometheus.ExponentialBuckets(1, 4, 10),
		}, []string{"table"}),
		InsertErrors: f.NewCounterVec(prometheus.CounterOpts{
			Name: "cem_processor_insert_errors_total",
			Help: "Failed ClickHouse INSERT attempts, by table.",
		}, []string{"table"}),
		InsertRetries: f.NewCounterVec(prometheus.CounterOpts{
			Name: "cem_processor_insert_retries_total",
			Help: "ClickHouse INSERT attempts that were retries of a failed one, by table.",
		}, []string{"table"}),
		Ready: f.NewGauge(prometheus.GaugeOpts{
			Name: "cem_processor_ready",
			Help: "1 while the processor can write to ClickHouse, 0 while writes fail or before the first success.",
		}),
	}
}
