package session

import (
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promauto"
)

// Metrics are the session stage's Prometheus series.
type Metrics struct {
	Opened    prometheus.Counter
	Closed    prometheus.Counter
	Customers prometheus.Gauge
	Bytes     prometheus.Gauge
	Replays   prometheus.Counter
	// Restores counts the keys rebuilt on a miss, by how: "read" from the
	// events table, "new" without a read (the directory has no row of it).
	Restores       *prometheus.CounterVec
	DirectoryScans *prometheus.CounterVec
	DirectoryKeys  prometheus.Gauge
	DirectoryBytes prometheus.Gauge
}

// NewMetrics registers the session metrics on reg.
func NewMetrics(reg prometheus.Registerer) *Metrics {
	f := promauto.With(reg)
	return &Metrics{
		Opened: f.NewCounter(prometheus.CounterOpts{
			Name: "cem_processor_sessions_opened_total",
			Help: "Sessions opened (first event of a new session id).",
		}),
		Closed: f.NewCounter(prometheus.CounterOpts{
			Name: "cem_processor_sessions_closed_total",
			Help: "Sessions closed: dropped from memory because no acceptable late event can join them any more, or evicted with their customer.",
		}),
		Customers: f.NewGauge(prometheus.GaugeOpts{
			Name: "cem_processor_state_customers",
			Help: "Customer keys whose session state is held in memory.",
		}),
		Bytes: f.NewGauge(prometheus.GaugeOpts{
			Name: "cem_processor_state_bytes",
			Help: "Estimated bytes of the session state held in memory (bounded by CEM_PROCESSOR_STATE_MAX_BYTES).",
		}),
		Replays: f.NewCounter(prometheus.CounterOpts{
			Name: "cem_processor_session_replays_total",
			Help: "Events found already stored when they arrived again (Kafka replay after a restart or rebalance, or a re-sent event): not counted again in their session.",
		}),
		Restores: f.NewCounterVec(prometheus.CounterOpts{
			Name: "cem_processor_session_restores_total",
			Help: "Customer keys whose sessions were rebuilt because they were not held, by how: read (from the events table) or new (the directory of stored keys has none of its rows: no read).",
		}, []string{"how"}),
		DirectoryScans: f.NewCounterVec(prometheus.CounterOpts{
			Name: "cem_processor_key_directory_scans_total",
			Help: "Scans of the events table's customer keys that (re)built the directory of stored keys, by result (ok, error).",
		}, []string{"result"}),
		DirectoryKeys: f.NewGauge(prometheus.GaugeOpts{
			Name: "cem_processor_key_directory_keys",
			Help: "Customer keys in the directory of stored keys (scanned plus loaded since; 0 while it is being built).",
		}),
		DirectoryBytes: f.NewGauge(prometheus.GaugeOpts{
			Name: "cem_processor_key_directory_bytes",
			Help: "Bytes of the directory's Bloom filter.",
		}),
	}
}
