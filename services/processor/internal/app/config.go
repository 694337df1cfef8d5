package app

import (
	"slices"
	"time"

	"github.com/cemhq/cem/pkg/chconn"
	"github.com/cemhq/cem/pkg/junkid"
	"github.com/cemhq/cem/pkg/telemetry"
	"github.com/cemhq/cem/services/processor/internal/scores"
	"github.com/cemhq/cem/services/processor/internal/streamalert"
	"github.com/cemhq/cem/services/processor/internal/webhook"
)

// Config is the processor's configuration, loaded with
// envconfig.Process("cem", &cfg): every variable starts with CEM_.
type Config struct {
	// LogConfig: CEM_LOG_LEVEL (default info), CEM_LOG_FORMAT (default json).
	telemetry.LogConfig
	// HTTPConfig: CEM_HTTP_* (header, body and idle timeouts, header size)
	// of the admin server.
	telemetry.HTTPConfig
	// Kafka: CEM_KAFKA_*.
	Kafka Kafka `envconfig:"KAFKA"`
	// ClickHouse: CEM_CLICKHOUSE_* (CEM_CLICKHOUSE_ADDR default
	// 127.0.0.1:9000, CEM_CLICKHOUSE_DATABASE default cem).
	ClickHouse chconn.Config `envconfig:"CLICKHOUSE"`
	// Processor: CEM_PROCESSOR_*.
	Processor Processor `envconfig:"PROCESSOR"`
	// Scores: CEM_SCORES_* (see README.md, "Scores"). The periodic scorer runs when
	// CEM_SCORES_ENABLED is true (envconfig default); enable it on one
	// processor instance only.
	Scores scores.Config `envconfig:"SCORES"`
	// Alerts: CEM_ALERTS_* (the ticket timer, which runs with the scorer).
	Alerts streamalert.Config `envconfig:"ALERTS"`
	// Webhook: CEM_WEBHOOK_* (outbound delivery of alerts; runs when
	// CEM_WEBHOOK_TARGETS is set).
	Webhook webhook.Config `envconfig:"WEBHOOK"`
	// JunkIDs are ids that never identify a person, added to the built-in
	// list of pkg/junkid (null, undefined, 0, -1, guest, anonymous, unknown,
	// none, nan, n/a, test and ""): never linked, erased or suppressed
	// (CEM_JUNK_IDS, comma list; set the same value on every service).
	// Default empty.
	JunkIDs []string `envconfig:"JUNK_IDS"`
}

// Junk is the set of junk ids: the built-in list plus CEM_JUNK_IDS and
// CEM_PROCESSOR_JUNK_IDS.
func (c Config) Junk() junkid.Set {
	return junkid.New(append(slices.Clone(c.JunkIDs), c.Processor.JunkIDs...)...)
}

// Kafka configures the brokers and topics.
type Kafka struct {
	// Brokers is the comma-separated bootstrap list (CEM_KAFKA_BROKERS).
	// Default 127.0.0.1:9092.
	Brokers []string `envconfig:"BROKERS" default:"127.0.0.1:9092"`
	// Topic is the events topic (CEM_KAFKA_TOPIC). Default cem.events.
	Topic string `envconfig:"TOPIC" default:"cem.events"`
	// DLQTopic receives poison messages (CEM_KAFKA_DLQ_TOPIC). Default
	// cem.events.dlq.
	DLQTopic string `envconfig:"DLQ_TOPIC" default:"cem.events.dlq"`
	// AlertTopic receives every closed-loop alert (stream stage, ticket
	// timer, scorer) as JSON keyed by customer id (CEM_KAFKA_ALERT_TOPIC).
	// Default cem.alerts.
	AlertTopic string `envconfig:"ALERT_TOPIC" default:"cem.alerts"`
}

// Processor configures consumption, flushing, sessions, identities and
// the admin server.
type Processor struct {
	// AdminAddr serves /metrics, /healthz and /readyz
	// (CEM_PROCESSOR_ADMIN_ADDR). Default :8082.
	AdminAddr string `envconfig:"ADMIN_ADDR" default:":8082"`
	// Group is the Kafka consumer group (CEM_PROCESSOR_GROUP). Default
	// cem-processor.
	Group string `envconfig:"GROUP" default:"cem-processor"`
	// FlushRows flushes when this many messages are pending
	// (CEM_PROCESSOR_FLUSH_ROWS). Default 50000.
	FlushRows int `envconfig:"FLUSH_ROWS" default:"50000"`
	// FlushInterval flushes when the oldest pending message is this old
	// and fewer than FlushBusyRows are pending (CEM_PROCESSOR_FLUSH_INTERVAL).
	// Default 50ms: light traffic is visible within a fraction of a second.
	// Records arriving while a flush runs go into the next one, so batches
	// grow with the rate.
	FlushInterval time.Duration `envconfig:"FLUSH_INTERVAL" default:"50ms"`
	// FlushBusyRows and FlushBusyInterval: a batch that holds FlushBusyRows
	// messages or more when its oldest is FlushInterval old waits until that
	// one is FlushBusyInterval old (CEM_PROCESSOR_FLUSH_BUSY_ROWS,
	// CEM_PROCESSOR_FLUSH_BUSY_INTERVAL); not the first flush after a start
	// or rebalance. Defaults 500 (10k events/s at 50ms) and 200ms; 0 rows,
	// or a busy interval not above FlushInterval, turns it off. Every flush
	// writes one part per table, and ClickHouse merges parts: at 10k
	// events/s for 25 s, 50ms flushes (9 a second) made it merge 27M rows
	// for 0.3M inserted and use 26-28 s of CPU; busy flushes (4 a second)
	// 15-16M rows and 14-15 s. Freshness p50/p99 went from 115-137 /
	// 443-1,034 ms to 214 / 354-361 ms (docs/benchmarks.md).
	FlushBusyRows     int           `envconfig:"FLUSH_BUSY_ROWS" default:"500"`
	FlushBusyInterval time.Duration `envconfig:"FLUSH_BUSY_INTERVAL" default:"200ms"`
	// FetchMaxWait bounds one Kafka fetch wait (CEM_PROCESSOR_FETCH_MAX_WAIT).
	// Default 250ms.
	FetchMaxWait time.Duration `envconfig:"FETCH_MAX_WAIT" default:"250ms"`
	// ShutdownTimeout bounds the final flush on shutdown or rebalance and the
	// admin server's drain (CEM_PROCESSOR_SHUTDOWN_TIMEOUT). Default 20s.
	ShutdownTimeout time.Duration `envconfig:"SHUTDOWN_TIMEOUT" default:"20s"`
	// GroupSessionTimeout is the Kafka group session timeout: how soon the
	// partitions of a dead (kill -9) processor move to the others; heartbeats
	// go every sixth of it (CEM_PROCESSOR_GROUP_SESSION_TIMEOUT). Default 6s,
	// the smallest a Kafka broker accepts by default
	// (group.min.session.timeout.ms); a shorter one needs that broker setting
	// lowered, and a longer one tolerates longer pauses (GC, a frozen VM).
	GroupSessionTimeout time.Duration `envconfig:"GROUP_SESSION_TIMEOUT" default:"6s"`
	// ProbeInterval is how often the owned partitions' offsets are read from
	// the broker for cem_processor_consumer_lag and /readyz
	// (CEM_PROCESSOR_PROBE_INTERVAL). Default 2s.
	ProbeInterval time.Duration `envconfig:"PROBE_INTERVAL" default:"2s"`
	// RebalanceTimeout is how long a rebalance waits for members to finish
	// their final flush (CEM_PROCESSOR_REBALANCE_TIMEOUT). Default 30s.
	RebalanceTimeout time.Duration `envconfig:"REBALANCE_TIMEOUT" default:"30s"`
	// RetryInitial is the first backoff after a failed ClickHouse or DLQ
	// operation (CEM_PROCESSOR_RETRY_INITIAL). Default 100ms.
	RetryInitial time.Duration `envconfig:"RETRY_INITIAL" default:"100ms"`
	// RetryMax caps the backoff (CEM_PROCESSOR_RETRY_MAX). Default 5s.
	RetryMax time.Duration `envconfig:"RETRY_MAX" default:"5s"`
	// SuppressionInterval is how often the version of the list of ids
	// erased on request is polled (the list is reloaded when it changed);
	// their events still in Kafka are dropped, their scores and alerts not
	// written (CEM_PROCESSOR_SUPPRESSION_INTERVAL). Default 1s.
	SuppressionInterval time.Duration `envconfig:"SUPPRESSION_INTERVAL" default:"1s"`
	// SuppressionHeartbeat is how often the processor confirms to erasures
	// that it is alive when nothing changed
	// (CEM_PROCESSOR_SUPPRESSION_HEARTBEAT). Default 5s.
	SuppressionHeartbeat time.Duration `envconfig:"SUPPRESSION_HEARTBEAT" default:"5s"`
	// Pprof serves net/http/pprof under /debug/pprof/ on the admin server
	// (CEM_PROCESSOR_PPROF), for profiling under load. Default false.
	Pprof bool `envconfig:"PPROF" default:"false"`
	// Migrate applies schemas/clickhouse migrations at start
	// (CEM_PROCESSOR_MIGRATE). Default true.
	Migrate bool `envconfig:"MIGRATE" default:"true"`
	// SessionGap is the longest inactivity inside a session
	// (CEM_PROCESSOR_SESSION_GAP). Default 30m.
	SessionGap time.Duration `envconfig:"SESSION_GAP" default:"30m"`
	// SessionMax is the longest a session lasts (CEM_PROCESSOR_SESSION_MAX).
	// Default 24h.
	SessionMax time.Duration `envconfig:"SESSION_MAX" default:"24h"`
	// AllowedLateness is how far behind a key's newest event an event may be
	// and still join existing sessions (CEM_PROCESSOR_ALLOWED_LATENESS).
	// Default 30m.
	AllowedLateness time.Duration `envconfig:"ALLOWED_LATENESS" default:"30m"`
	// StateMaxCustomers caps the customer keys with session state in memory
	// (CEM_PROCESSOR_STATE_MAX_CUSTOMERS). Default 1000000.
	StateMaxCustomers int `envconfig:"STATE_MAX_CUSTOMERS" default:"1000000"`
	// StateMaxBytes caps the estimated bytes of the session state in memory;
	// the least recently active keys are evicted first and reloaded from
	// ClickHouse when they return (CEM_PROCESSOR_STATE_MAX_BYTES, bytes).
	// Default 536870912 (512 MiB). See docs/benchmarks.md for the bytes per
	// key measured against this estimate.
	StateMaxBytes int64 `envconfig:"STATE_MAX_BYTES" default:"536870912"`
	// StateIdle evicts a customer key with no event for this long (wall
	// clock) (CEM_PROCESSOR_STATE_IDLE). Default 1h.
	StateIdle time.Duration `envconfig:"STATE_IDLE" default:"1h"`
	// KeyDirectory keeps a Bloom filter of the customer keys stored in
	// events (one scan of the table's keys in the background after each
	// start or rebalance, then the keys this instance loads), so that a key
	// never seen before is restored without reading events
	// (CEM_PROCESSOR_KEY_DIRECTORY). Default true.
	KeyDirectory bool `envconfig:"KEY_DIRECTORY" default:"true"`
	// KeyDirectoryKeys is the number of keys the directory's first filter
	// is sized for, at 4 bytes per key (about 0.02 % false positives when
	// full, each read as without a directory); a filter that fills beyond
	// it is rebuilt at twice the keys it holds
	// (CEM_PROCESSOR_KEY_DIRECTORY_KEYS). Default 4000000 (16 MB).
	KeyDirectoryKeys uint `envconfig:"KEY_DIRECTORY_KEYS" default:"4000000"`
	// KeyDirectoryHorizon is how far back in event time the directory's
	// scan looks for keys: it holds the keys active since, and an event
	// whose session could reach further back (older than the horizon minus
	// CEM_PROCESSOR_SESSION_MAX, the gap, the lateness and a day) is read as
	// without a directory (CEM_PROCESSOR_KEY_DIRECTORY_HORIZON). Default
	// 2160h (90 days); raised to that reach plus a day when below.
	KeyDirectoryHorizon time.Duration `envconfig:"KEY_DIRECTORY_HORIZON" default:"2160h"`
	// IdentityMaxClusters caps the identity clusters in memory
	// (CEM_PROCESSOR_IDENTITY_MAX_CLUSTERS). Default 1000000.
	IdentityMaxClusters int `envconfig:"IDENTITY_MAX_CLUSTERS" default:"1000000"`
	// JunkIDs are further ids never linked, never suppressed
	// (CEM_PROCESSOR_JUNK_IDS, comma list; the older name of CEM_JUNK_IDS,
	// both are added to junkid.Builtin). Default empty.
	JunkIDs []string `envconfig:"JUNK_IDS"`
}

// Validate reports configuration errors, each naming its variable.
func (c *Config) Validate() error {
	p := c.Processor
	var v telemetry.ConfigCheck
	v.Add(c.HTTPConfig.Validate())
	v.Require(len(c.Kafka.Brokers) > 0, "CEM_KAFKA_BROKERS", "is required")
	v.Require(c.Kafka.Topic != "", "CEM_KAFKA_TOPIC", "is required")
	v.Require(c.Kafka.DLQTopic != "", "CEM_KAFKA_DLQ_TOPIC", "is required")
	v.Require(c.Kafka.AlertTopic != "", "CEM_KAFKA_ALERT_TOPIC", "is required")
	v.Add(c.ClickHouse.Validate())
	v.Require(p.Group != "", "CEM_PROCESSOR_GROUP", "is required")
	v.Require(p.FlushRows > 0, "CEM_PROCESSOR_FLUSH_ROWS", "must be positive, got %d", p.FlushRows)
	v.Require(p.FlushInterval > 0, "CEM_PROCESSOR_FLUSH_INTERVAL", "must be positive, got %s", p.FlushInterval)
	v.Require(p.FlushBusyRows >= 0, "CEM_PROCESSOR_FLUSH_BUSY_ROWS", "must not be negative, got %d", p.FlushBusyRows)
	v.Require(p.FetchMaxWait > 0, "CEM_PROCESSOR_FETCH_MAX_WAIT", "must be positive, got %s", p.FetchMaxWait)
	v.Require(p.SessionGap > 0, "CEM_PROCESSOR_SESSION_GAP", "must be positive, got %s", p.SessionGap)
	v.Require(p.SessionMax >= p.SessionGap, "CEM_PROCESSOR_SESSION_MAX", "(%s) must not be below CEM_PROCESSOR_SESSION_GAP (%s)", p.SessionMax, p.SessionGap)
	v.Require(p.AllowedLateness >= 0, "CEM_PROCESSOR_ALLOWED_LATENESS", "must not be negative, got %s", p.AllowedLateness)
	v.Require(p.StateMaxCustomers > 0, "CEM_PROCESSOR_STATE_MAX_CUSTOMERS", "must be positive, got %d", p.StateMaxCustomers)
	v.Require(p.IdentityMaxClusters > 0, "CEM_PROCESSOR_IDENTITY_MAX_CLUSTERS", "must be positive, got %d", p.IdentityMaxClusters)
	v.Require(p.StateMaxBytes > 0, "CEM_PROCESSOR_STATE_MAX_BYTES", "must be positive, got %d", p.StateMaxBytes)
	v.Require(p.ProbeInterval > 0, "CEM_PROCESSOR_PROBE_INTERVAL", "must be positive, got %s", p.ProbeInterval)
	v.Require(p.RetryInitial > 0, "CEM_PROCESSOR_RETRY_INITIAL", "must be positive, got %s", p.RetryInitial)
	v.Require(p.RetryMax >= p.RetryInitial, "CEM_PROCESSOR_RETRY_MAX", "(%s) must not be below CEM_PROCESSOR_RETRY_INITIAL (%s)", p.RetryMax, p.RetryInitial)
	v.Require(p.ShutdownTimeout > 0, "CEM_PROCESSOR_SHUTDOWN_TIMEOUT", "must be positive, got %s", p.ShutdownTimeout)
	if len(c.Webhook.Targets) > 0 {
		v.Add(c.Webhook.Validate())
	}
	if c.Scores.Enabled {
		v.Add(c.Scores.Validate())
		a := c.Alerts
		v.Require(a.TicketResponseTarget > 0, "CEM_ALERTS_TICKET_RESPONSE_TARGET", "must be positive, got %s", a.TicketResponseTarget)
		v.Require(a.TicketCheckInterval > 0, "CEM_ALERTS_TICKET_CHECK_INTERVAL", "must be positive, got %s", a.TicketCheckInterval)
		v.Require(a.TicketLookback > 0, "CEM_ALERTS_TICKET_LOOKBACK", "must be positive, got %s", a.TicketLookback)
	}
	return v.Err()
}
