package webhook

import (
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promauto"
)

// Metrics are delivery's Prometheus series, labelled by target (the
// configured names: bounded).
type Metrics struct {
	Delivered       *prometheus.CounterVec
	Failed          *prometheus.CounterVec
	Retries         *prometheus.CounterVec
	Skipped         *prometheus.CounterVec
	Latency         *prometheus.HistogramVec
	AttemptDuration *prometheus.HistogramVec
}

// NewMetrics registers the metrics on reg.
func NewMetrics(reg prometheus.Registerer) *Metrics {
	f := promauto.With(reg)
	return &Metrics{
		Delivered: f.NewCounterVec(prometheus.CounterOpts{Name: "cem_processor_webhook_delivered_total",
			Help: "Alerts delivered to a webhook target (2xx), by target."}, []string{"target"}),
		Failed: f.NewCounterVec(prometheus.CounterOpts{Name: "cem_processor_webhook_failed_total",
			Help: "Alerts dead-lettered for a webhook target (attempts exhausted or refused with a 4xx), by target."}, []string{"target"}),
		Retries: f.NewCounterVec(prometheus.CounterOpts{Name: "cem_processor_webhook_retries_total",
			Help: "Delivery attempts after the first (5xx, 408, 429, timeouts, network errors), by target."}, []string{"target"}),
		Skipped: f.NewCounterVec(prometheus.CounterOpts{Name: "cem_processor_webhook_skipped_total",
			Help: "Alerts not sent to a target, by target and cause (filtered, already delivered, erased customer)."}, []string{"target", "cause"}),
		Latency: f.NewHistogramVec(prometheus.HistogramOpts{Name: "cem_processor_webhook_latency_seconds",
			Help:    "Time from the trigger's receipt by the collector (else the alert's raise) to its delivery, by target.",
			Buckets: prometheus.ExponentialBuckets(0.05, 2, 14)}, []string{"target"}),
		AttemptDuration: f.NewHistogramVec(prometheus.HistogramOpts{Name: "cem_processor_webhook_attempt_duration_seconds",
			Help:    "Duration of one delivery attempt (the receiver's answer time), by target.",
			Buckets: prometheus.ExponentialBuckets(0.005, 2, 12)}, []string{"target"}),
	}
}
