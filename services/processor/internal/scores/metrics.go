package scores

import (
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promauto"
)

// Metrics are the scorer's Prometheus metrics.
type Metrics struct {
	// Runs counts scorer runs by outcome (ok, error).
	Runs *prometheus.CounterVec
	// RunDuration observes the duration of successful runs.
	RunDuration prometheus.Histogram
	// Customers is the number of customers scored by the last run.
	Customers prometheus.Gauge
	// Alerts counts raised alerts by reason.
	Alerts *prometheus.CounterVec
	// LastSuccess is the Unix time of the last successful run.
	LastSuccess prometheus.Gauge
	// Suppressed counts customers whose results were dropped at write time
	// because they were erased on request.
	Suppressed prometheus.Counter
}

// NewMetrics registers the scorer's metrics with reg.
func NewMetrics(reg prometheus.Registerer) *Metrics {
	f := promauto.With(reg)
	return &Metrics{
		Runs: f.NewCounterVec(prometheus.CounterOpts{Name: "cem_processor_scores_runs_total",
			Help: "Scorer runs by outcome (ok, error)."}, []string{"outcome"}),
		RunDuration: f.NewHistogram(prometheus.HistogramOpts{Name: "cem_processor_scores_run_duration_seconds",
			Help: "Duration of successful scorer runs.", Buckets: prometheus.ExponentialBuckets(0.05, 2, 14)}),
		Customers: f.NewGauge(prometheus.GaugeOpts{Name: "cem_processor_scores_customers",
			Help: "Customers scored by the last successful run."}),
		Alerts: f.NewCounterVec(prometheus.CounterOpts{Name: "cem_processor_alerts_total",
			Help: "Closed-loop alerts raised, by reason."}, []string{"reason"}),
		LastSuccess: f.NewGauge(prometheus.GaugeOpts{Name: "cem_processor_scores_last_success_timestamp_seconds",
			Help: "Unix time of the last successful scorer run."}),
		Suppressed: f.NewCounter(prometheus.CounterOpts{Name: "cem_processor_scores_suppressed_total",
			Help: "Customers whose scores, profiles and alerts were not written because they were erased (GDPR)."}),
	}
}
