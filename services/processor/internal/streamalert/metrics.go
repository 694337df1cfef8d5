package streamalert

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promauto"

	"github.com/cemhq/cem/pkg/alerting"
)

// Metrics are the stream alerts' Prometheus series.
type Metrics struct {
	// Raised counts alerts raised (and published) by reason.
	Raised *prometheus.CounterVec
	// Suppressed counts triggers within their rule's cool-down.
	Suppressed *prometheus.CounterVec
	// Latency is the time from the trigger's receipt by the collector to
	// the alert being in ClickHouse and on cem.alerts.
	Latency prometheus.Histogram
}

// NewMetrics registers the metrics on reg.
func NewMetrics(reg prometheus.Registerer) *Metrics {
	f := promauto.With(reg)
	return &Metrics{
		Raised: f.NewCounterVec(prometheus.CounterOpts{Name: "cem_processor_stream_alerts_total",
			Help: "Alerts raised by the processor's stream stage and ticket timer (table alerts and cem.alerts), by reason."}, []string{"reason"}),
		Suppressed: f.NewCounterVec(prometheus.CounterOpts{Name: "cem_processor_alerts_cooldown_suppressed_total",
			Help: "Alert triggers not raised because an alert of the customer and reason is within the rule's cool-down, by reason."}, []string{"reason"}),
		Latency: f.NewHistogram(prometheus.HistogramOpts{Name: "cem_processor_alert_latency_seconds",
			Help:    "Time from the triggering event's receipt by the collector (receivedAt) to its alert being visible (written to ClickHouse and produced to cem.alerts).",
			Buckets: prometheus.ExponentialBuckets(0.05, 2, 12)}),
	}
}

func (m *Metrics) observe(alerts []alerting.Alert, now time.Time) {
	for _, a := range alerts {
		m.Raised.WithLabelValues(a.Reason).Inc()
		if !a.ReceivedAt.IsZero() {
			m.Latency.Observe(now.Sub(a.ReceivedAt).Seconds())
		}
	}
}
