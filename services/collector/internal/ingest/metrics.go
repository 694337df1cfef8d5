package ingest

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/cemhq/cem/pkg/telemetry"
)

type metrics struct {
	http          *telemetry.HTTPMetrics
	events        *prometheus.CounterVec
	rejected      *prometheus.CounterVec
	batch         prometheus.Histogram
	produce       prometheus.Histogram
	produceErrors prometheus.Counter
	dlqErrors     prometheus.Counter
	dlqUnlisted   prometheus.Counter
	inflight      prometheus.Gauge
	overload      *prometheus.CounterVec
	body          *prometheus.CounterVec
	dedupSize     prometheus.GaugeFunc
}

func newMetrics(reg prometheus.Registerer, dedupLen func() int) *metrics {
	m := &metrics{
		http: telemetry.NewHTTPMetrics(reg, "collector", "Request latency, including the wait for Kafka acks.",
			[]float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10}),
		events: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "cem_collector_events_total", Help: "Events by source, type and outcome: accepted (stored in Kafka, also when the client stopped waiting), duplicate, rejected, failed (Kafka did not store it).",
		}, []string{"source", "type", "outcome"}),
		rejected: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "cem_collector_events_rejected_total", Help: "Rejected events by reason (size, format, schema, suppressed).",
		}, []string{"reason"}),
		batch: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "cem_collector_batch_events", Help: "Events per request.",
			Buckets: []float64{1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 5000},
		}),
		produce: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "cem_collector_kafka_produce_duration_seconds", Help: "Time until Kafka acknowledged a request's events.",
			Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10},
		}),
		produceErrors: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "cem_collector_kafka_produce_errors_total", Help: "Requests whose events Kafka did not acknowledge (answered 503).",
		}),
		dlqErrors: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "cem_collector_dlq_errors_total", Help: "Failed writes of rejected events to the DLQ topic.",
		}),
		dlqUnlisted: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "cem_collector_rejections_unlisted_total", Help: "Rejected events beyond CEM_MAX_REJECTIONS_LISTED of their request: counted in the answer's rejectedCount, not listed, not written to the DLQ.",
		}),
		inflight: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "cem_collector_inflight_bytes", Help: "Memory reserved by requests in progress: their body buffers while reading (inflated bytes), then ten times their body bytes.",
		}),
		overload: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "cem_collector_overload_rejections_total", Help: "Requests refused for overload: 503 concurrency/memory, 429 rate (a source's rate limit), client (a client address's concurrent requests) or client_memory (a client address's share of the in-flight memory).",
		}, []string{"cause"}),
		body: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "cem_collector_body_rejections_total",
			Help: "Request bodies refused while reading, by reason: too_large, unauthenticated_too_large (key in the body, beyond CEM_UNAUTHENTICATED_MAX_BYTES), inflation (gzip ratio), slow (408), invalid, too_many_events (beyond CEM_MAX_BATCH_EVENTS / CEM_IMPORT_MAX_EVENTS), unknown_key (a missing or unknown writeKey in the body, 401 before decoding).",
		}, []string{"reason"}),
		dedupSize: prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "cem_collector_dedup_entries", Help: "messageIds held by the deduplication window.",
		}, func() float64 { return float64(dedupLen()) }),
	}
	reg.MustRegister(m.events, m.rejected, m.batch, m.produce, m.produceErrors, m.dlqErrors, m.dlqUnlisted, m.inflight, m.overload, m.body, m.dedupSize)
	return m
}
