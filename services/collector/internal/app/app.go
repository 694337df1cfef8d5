// Package app wires the collector: configuration, Kafka sink, ingestion
// handler, health and metrics, and the HTTP server with graceful shutdown.
package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/cemhq/cem/pkg/chconn"
	"github.com/cemhq/cem/pkg/events"
	"github.com/cemhq/cem/pkg/junkid"
	"github.com/cemhq/cem/pkg/suppress"
	"github.com/cemhq/cem/pkg/telemetry"
	"github.com/cemhq/cem/services/collector/internal/enrich"
	"github.com/cemhq/cem/services/collector/internal/ingest"
	"github.com/cemhq/cem/services/collector/internal/kafkasink"
)

// Config is the collector's configuration, loaded with
// envconfig.Process("cem", &cfg): every variable starts with CEM_.
type Config struct {
	telemetry.LogConfig
	// HTTPConfig: CEM_HTTP_* (header, body and idle timeouts, minimum body
	// rate, header size).
	telemetry.HTTPConfig
	// Kafka: CEM_KAFKA_*.
	Kafka kafkasink.Config `envconfig:"KAFKA"`
	// HTTPAddr is the listen address (CEM_HTTP_ADDR).
	HTTPAddr string `envconfig:"HTTP_ADDR" default:":8080"`
	// AdminAddr, when set, is a second listen address serving /metrics
	// (and /healthz, /readyz); the public port then has no /metrics.
	// Empty: /metrics on HTTPAddr (CEM_ADMIN_ADDR; recommended in
	// production: the public port faces the internet).
	AdminAddr string `envconfig:"ADMIN_ADDR"`
	// WriteKeys is source:key,... (CEM_WRITE_KEYS), e.g.
	// web:key1,callcenter:key2. The source is stored with every event.
	WriteKeys []string `envconfig:"WRITE_KEYS" default:"dev:dev-write-key"`
	// ServerSources names the sources of WriteKeys whose keys are secret:
	// server-side systems such as crm,callcenter,shop (CEM_SERVER_SOURCES,
	// default none). Every other source is a client source, whose key is
	// public (browsers and apps ship it): its events cannot move an
	// existing user's identities and it may not use /v1/import.
	ServerSources []string `envconfig:"SERVER_SOURCES" default:""`
	// MaxEventBytes and MaxBatchBytes limit the Segment endpoints
	// (CEM_MAX_EVENT_BYTES, CEM_MAX_BATCH_BYTES).
	MaxEventBytes int `envconfig:"MAX_EVENT_BYTES" default:"32768"`
	MaxBatchBytes int `envconfig:"MAX_BATCH_BYTES" default:"512000"`
	// ImportMaxBytes limits a /v1/import body (CEM_IMPORT_MAX_BYTES).
	ImportMaxBytes int `envconfig:"IMPORT_MAX_BYTES" default:"20971520"`
	// MaxInflightBytes bounds the memory held by requests in progress:
	// reserved before each body buffer is allocated (inflated bytes), then
	// ten times the body for its decoding; beyond it the collector answers
	// 503 (CEM_MAX_INFLIGHT_BYTES, bytes).
	MaxInflightBytes int64 `envconfig:"MAX_INFLIGHT_BYTES" default:"268435456"`
	// MaxConcurrent bounds requests being decoded and produced; a request
	// takes a slot once its body is read (CEM_MAX_CONCURRENT).
	MaxConcurrent int `envconfig:"MAX_CONCURRENT" default:"1024"`
	// MaxConcurrentPerClient bounds the requests in progress of one client
	// address (after CEM_TRUSTED_PROXIES), body reading included; 429
	// beyond, 0 = unbounded (CEM_MAX_CONCURRENT_PER_CLIENT).
	MaxConcurrentPerClient int `envconfig:"MAX_CONCURRENT_PER_CLIENT" default:"128"`
	// MaxInflightBytesPerClient bounds one client address's share of
	// CEM_MAX_INFLIGHT_BYTES (an IPv6 address counts as its /64, as for
	// the slots); 429 beyond, 0 = unbounded
	// (CEM_MAX_INFLIGHT_BYTES_PER_CLIENT, bytes).
	MaxInflightBytesPerClient int64 `envconfig:"MAX_INFLIGHT_BYTES_PER_CLIENT" default:"67108864"`
	// MaxBatchEvents bounds the events of one request of the Segment
	// endpoints, ImportMaxEvents of /v1/import; 413 beyond, 0 = unbounded
	// (CEM_MAX_BATCH_EVENTS, CEM_IMPORT_MAX_EVENTS).
	MaxBatchEvents  int `envconfig:"MAX_BATCH_EVENTS" default:"2000"`
	ImportMaxEvents int `envconfig:"IMPORT_MAX_EVENTS" default:"100000"`
	// MaxRejectionsListed bounds the rejected events of one request listed
	// in its answer and written to the DLQ; the rest are counted in the
	// answer's rejectedCount (CEM_MAX_REJECTIONS_LISTED).
	MaxRejectionsListed int `envconfig:"MAX_REJECTIONS_LISTED" default:"100"`
	// UnauthMaxBytes bounds the body of a request without basic auth,
	// whose write key is in the body (sendBeacon): it is read before the
	// key is known (CEM_UNAUTHENTICATED_MAX_BYTES, bytes, before and after
	// gzip). UnauthBodyTimeout bounds reading it
	// (CEM_UNAUTHENTICATED_BODY_TIMEOUT).
	UnauthMaxBytes    int           `envconfig:"UNAUTHENTICATED_MAX_BYTES" default:"65536"`
	UnauthBodyTimeout time.Duration `envconfig:"UNAUTHENTICATED_BODY_TIMEOUT" default:"10s"`
	// EventMaxFuture and EventMaxPast bound an event's timestamp around
	// its arrival: beyond, the Segment endpoints set it to receivedAt
	// (originalTimestamp keeps the client's, enrichment.timeClamped says
	// "future" or "past") and /v1/import refuses the event with reason
	// time; 0 = unbounded (CEM_EVENT_MAX_FUTURE, CEM_EVENT_MAX_PAST).
	// With sentAt, a corrected timestamp more than 5 s after arrival is
	// clamped too (events.SentAtTolerance) unless EventMaxFuture is 0.
	EventMaxFuture time.Duration `envconfig:"EVENT_MAX_FUTURE" default:"24h"`
	EventMaxPast   time.Duration `envconfig:"EVENT_MAX_PAST" default:"87600h"`
	// DLQMaxRawBytes caps the raw payload kept in a DLQ record; a longer
	// one is cut and flagged "truncated" (CEM_DLQ_MAX_RAW_BYTES, bytes).
	DLQMaxRawBytes int `envconfig:"DLQ_MAX_RAW_BYTES" default:"65536"`
	// MaxInflateRatio bounds how many times a gzip body may inflate; 413
	// beyond, 0 = unbounded (CEM_MAX_INFLATE_RATIO).
	MaxInflateRatio int `envconfig:"MAX_INFLATE_RATIO" default:"100"`
	// ProduceTimeout bounds the wait for Kafka acks before answering 503
	// (CEM_PRODUCE_TIMEOUT).
	ProduceTimeout time.Duration `envconfig:"PRODUCE_TIMEOUT" default:"10s"`
	// RateLimit is events/s per source, 0 = off (CEM_RATE_LIMIT); RateBurst
	// the burst (CEM_RATE_BURST).
	RateLimit float64 `envconfig:"RATE_LIMIT" default:"0"`
	RateBurst int     `envconfig:"RATE_BURST" default:"10000"`
	// DedupWindow and DedupSize bound messageId deduplication
	// (CEM_DEDUP_WINDOW, CEM_DEDUP_SIZE; size 0 disables it).
	DedupWindow time.Duration `envconfig:"DEDUP_WINDOW" default:"24h"`
	DedupSize   int           `envconfig:"DEDUP_SIZE" default:"1000000"`
	// CORSOrigins are the origins browsers may post from, * for any
	// (CEM_CORS_ORIGINS); others get 403 and count in
	// cem_collector_cors_refused_total.
	CORSOrigins []string `envconfig:"CORS_ORIGINS" default:"*"`
	// CORSHeaders are request headers allowed in addition to the ones the
	// browser SDKs send (ingest.SDKHeaders) (CEM_CORS_HEADERS, default none).
	CORSHeaders []string `envconfig:"CORS_HEADERS"`
	// CORSCredentials answers Access-Control-Allow-Credentials: true; it
	// needs listed origins, not * (CEM_CORS_CREDENTIALS, default false).
	CORSCredentials bool `envconfig:"CORS_CREDENTIALS" default:"false"`
	// CORSMaxAge is how long browsers cache a preflight answer
	// (CEM_CORS_MAX_AGE, default 2h).
	CORSMaxAge time.Duration `envconfig:"CORS_MAX_AGE" default:"2h"`
	// PublicURL is the collector's address as browsers reach it, e.g.
	// https://collector.example; the SDK settings it serves send events
	// there (CEM_PUBLIC_URL; default empty: the settings request's Host).
	PublicURL string `envconfig:"PUBLIC_URL"`
	// TrustedProxies may set X-Forwarded-For: IPs or CIDRs
	// (CEM_TRUSTED_PROXIES).
	TrustedProxies []string `envconfig:"TRUSTED_PROXIES" default:"127.0.0.1/32,::1/128"`
	// Suppression: refuse events of ids erased on request, read from
	// ClickHouse (CEM_SUPPRESSION_ENABLED, CEM_SUPPRESSION_INTERVAL) with the
	// CEM_CLICKHOUSE_* connection.
	Suppression Suppression `envconfig:"SUPPRESSION"`
	// JunkIDs are ids that never identify a person, added to the built-in
	// list of pkg/junkid (null, undefined, 0, ...): never suppressed
	// (CEM_JUNK_IDS, comma list; set the same value on every service).
	// Default empty.
	JunkIDs    []string      `envconfig:"JUNK_IDS"`
	ClickHouse chconn.Config `envconfig:"CLICKHOUSE"`
	// ShutdownTimeout bounds the drain of in-flight requests on SIGTERM
	// (CEM_SHUTDOWN_TIMEOUT).
	ShutdownTimeout time.Duration `envconfig:"SHUTDOWN_TIMEOUT" default:"20s"`
}

// Suppression configures the GDPR suppression list.
type Suppression struct {
	// Enabled turns the list on (CEM_SUPPRESSION_ENABLED). Default false.
	Enabled bool `envconfig:"ENABLED" default:"false"`
	// Interval is how often the list's version is polled; the list is
	// reloaded when it changed (CEM_SUPPRESSION_INTERVAL). Default 1s.
	Interval time.Duration `envconfig:"INTERVAL" default:"1s"`
	// Heartbeat is how often the collector confirms to erasures that it is
	// alive when nothing changed (CEM_SUPPRESSION_HEARTBEAT). Default 5s.
	Heartbeat time.Duration `envconfig:"HEARTBEAT" default:"5s"`
}

// WriteKeyMap parses WriteKeys into key -> source.
func (c Config) WriteKeyMap() (map[string]string, error) {
	m := map[string]string{}
	for _, kv := range c.WriteKeys {
		src, key, ok := strings.Cut(strings.TrimSpace(kv), ":")
		if !ok || src == "" || key == "" {
			return nil, fmt.Errorf("CEM_WRITE_KEYS: %q is not source:key", kv)
		}
		if _, dup := m[key]; dup {
			return nil, fmt.Errorf("CEM_WRITE_KEYS: key of source %s is used twice", src)
		}
		m[key] = src
	}
	if len(m) == 0 {
		return nil, errors.New("CEM_WRITE_KEYS: no write keys")
	}
	return m, nil
}

// Validate reports configuration errors, each naming its variable.
func (c *Config) Validate() error {
	var v telemetry.ConfigCheck
	keys, err := c.WriteKeyMap()
	v.Add(err) // names CEM_WRITE_KEYS
	if err == nil {
		_, err = c.serverSources(keys)
		v.Add(err) // names CEM_SERVER_SOURCES
	}
	v.Require(c.HTTPAddr != "", "CEM_HTTP_ADDR", "is required")
	v.Require(c.AdminAddr != c.HTTPAddr, "CEM_ADMIN_ADDR", "must differ from CEM_HTTP_ADDR (empty: /metrics on CEM_HTTP_ADDR), got %q", c.AdminAddr)
	v.Require(c.MaxEventBytes > 0, "CEM_MAX_EVENT_BYTES", "must be positive, got %d", c.MaxEventBytes)
	v.Require(c.MaxBatchBytes >= c.MaxEventBytes, "CEM_MAX_BATCH_BYTES", "(%d) must not be below CEM_MAX_EVENT_BYTES (%d)", c.MaxBatchBytes, c.MaxEventBytes)
	v.Require(c.ImportMaxBytes >= c.MaxEventBytes, "CEM_IMPORT_MAX_BYTES", "(%d) must not be below CEM_MAX_EVENT_BYTES (%d)", c.ImportMaxBytes, c.MaxEventBytes)
	v.Require(c.MaxInflightBytes > 0, "CEM_MAX_INFLIGHT_BYTES", "must be positive, got %d", c.MaxInflightBytes)
	v.Require(c.MaxConcurrent > 0, "CEM_MAX_CONCURRENT", "must be positive, got %d", c.MaxConcurrent)
	v.Add(c.HTTPConfig.Validate())
	v.Require(c.MaxConcurrentPerClient >= 0, "CEM_MAX_CONCURRENT_PER_CLIENT", "must not be negative, got %d", c.MaxConcurrentPerClient)
	v.Require(c.MaxInflightBytesPerClient >= 0, "CEM_MAX_INFLIGHT_BYTES_PER_CLIENT", "must not be negative, got %d", c.MaxInflightBytesPerClient)
	v.Require(c.MaxBatchEvents >= 0, "CEM_MAX_BATCH_EVENTS", "must not be negative, got %d", c.MaxBatchEvents)
	v.Require(c.ImportMaxEvents >= 0, "CEM_IMPORT_MAX_EVENTS", "must not be negative, got %d", c.ImportMaxEvents)
	v.Require(c.MaxRejectionsListed > 0, "CEM_MAX_REJECTIONS_LISTED", "must be positive, got %d", c.MaxRejectionsListed)
	v.Require(c.UnauthMaxBytes > 0, "CEM_UNAUTHENTICATED_MAX_BYTES", "must be positive, got %d", c.UnauthMaxBytes)
	v.Require(c.UnauthBodyTimeout > 0, "CEM_UNAUTHENTICATED_BODY_TIMEOUT", "must be positive, got %s", c.UnauthBodyTimeout)
	v.Require(c.DLQMaxRawBytes > 0 && c.DLQMaxRawBytes <= 256<<10, "CEM_DLQ_MAX_RAW_BYTES", "must be between 1 and 262144 (a DLQ record must stay below Kafka's 1 MB message limit), got %d", c.DLQMaxRawBytes)
	v.Require(c.EventMaxFuture >= 0, "CEM_EVENT_MAX_FUTURE", "must not be negative, got %s", c.EventMaxFuture)
	v.Require(c.EventMaxPast >= 0, "CEM_EVENT_MAX_PAST", "must not be negative, got %s", c.EventMaxPast)
	v.Require(c.MaxInflateRatio >= 0, "CEM_MAX_INFLATE_RATIO", "must not be negative, got %d", c.MaxInflateRatio)
	v.Require(c.ProduceTimeout > 0, "CEM_PRODUCE_TIMEOUT", "must be positive, got %s", c.ProduceTimeout)
	v.Require(c.ShutdownTimeout > 0, "CEM_SHUTDOWN_TIMEOUT", "must be positive, got %s", c.ShutdownTimeout)
	v.Require(c.RateLimit >= 0, "CEM_RATE_LIMIT", "must not be negative, got %g", c.RateLimit)
	v.Require(c.RateLimit == 0 || c.RateBurst > 0, "CEM_RATE_BURST", "must be positive with a rate limit, got %d", c.RateBurst)
	v.Require(c.DedupSize >= 0, "CEM_DEDUP_SIZE", "must not be negative, got %d", c.DedupSize)
	v.Require(c.DedupSize == 0 || c.DedupWindow > 0, "CEM_DEDUP_WINDOW", "must be positive, got %s", c.DedupWindow)
	v.Require(!c.CORSCredentials || !slices.Contains(c.CORSOrigins, "*"), "CEM_CORS_CREDENTIALS", "cannot be true with the origin * in CEM_CORS_ORIGINS: list the origins")
	v.Require(c.CORSMaxAge >= 0, "CEM_CORS_MAX_AGE", "must not be negative, got %s", c.CORSMaxAge)
	if err := ingest.CheckPublicURL(c.PublicURL); err != nil {
		v.Require(false, "CEM_PUBLIC_URL", "%v", err)
	}
	if _, err := enrich.New(c.TrustedProxies); err != nil {
		v.Require(false, "CEM_TRUSTED_PROXIES", "%v", err)
	}
	k := c.Kafka
	v.Require(len(k.Brokers) > 0, "CEM_KAFKA_BROKERS", "is required")
	v.Require(k.Topic != "", "CEM_KAFKA_TOPIC", "is required")
	v.Require(k.DLQTopic != "", "CEM_KAFKA_DLQ_TOPIC", "is required")
	v.Require(kafkasink.KnownCompression(k.Compression), "CEM_KAFKA_COMPRESSION", "%q is not none, gzip, snappy, lz4 or zstd", k.Compression)
	v.Require(k.Linger >= 0, "CEM_KAFKA_LINGER", "must not be negative, got %s", k.Linger)
	v.Require(k.BatchSize > 0, "CEM_KAFKA_BATCH_SIZE", "must be positive, got %d", k.BatchSize)
	v.Require(k.WriteTimeout > 0, "CEM_KAFKA_WRITE_TIMEOUT", "must be positive, got %s", k.WriteTimeout)
	v.Require(k.MaxAttempts > 0, "CEM_KAFKA_MAX_ATTEMPTS", "must be positive, got %d", k.MaxAttempts)
	if c.Suppression.Enabled {
		v.Require(c.Suppression.Interval > 0, "CEM_SUPPRESSION_INTERVAL", "must be positive, got %s", c.Suppression.Interval)
		v.Add(c.ClickHouse.Validate())
	}
	return v.Err()
}

// serverSources checks ServerSources against the sources of keys.
func (c Config) serverSources(keys map[string]string) ([]string, error) {
	known := map[string]bool{}
	for _, src := range keys {
		known[src] = true
	}
	var out []string
	for _, src := range c.ServerSources {
		if src = strings.TrimSpace(src); src == "" {
			continue
		}
		if !known[src] {
			return nil, fmt.Errorf("CEM_SERVER_SOURCES: source %q has no key in CEM_WRITE_KEYS", src)
		}
		out = append(out, src)
	}
	return out, nil
}

// HandlerConfig derives the ingestion handler's configuration.
func (c Config) HandlerConfig(version string) (ingest.Config, error) {
	keys, err := c.WriteKeyMap()
	if err != nil {
		return ingest.Config{}, err
	}
	servers, err := c.serverSources(keys)
	if err != nil {
		return ingest.Config{}, err
	}
	return ingest.Config{
		WriteKeys:        keys,
		ServerSources:    servers,
		Limits:           events.Limits{MaxEventBytes: c.MaxEventBytes, MaxBatchBytes: c.MaxBatchBytes},
		ImportLimits:     events.Limits{MaxEventBytes: c.MaxEventBytes, MaxBatchBytes: c.ImportMaxBytes},
		MaxInflightBytes: c.MaxInflightBytes, MaxConcurrent: c.MaxConcurrent, ProduceTimeout: c.ProduceTimeout,
		MaxConcurrentPerClient: c.MaxConcurrentPerClient, MaxInflightBytesPerClient: c.MaxInflightBytesPerClient,
		MaxBatchEvents: c.MaxBatchEvents, ImportMaxEvents: c.ImportMaxEvents, MaxRejectionsListed: c.MaxRejectionsListed,
		UnauthMaxBytes:    c.UnauthMaxBytes,
		UnauthBodyTimeout: c.UnauthBodyTimeout, MaxInflateRatio: c.MaxInflateRatio, DLQMaxRawBytes: c.DLQMaxRawBytes,
		EventMaxFuture: c.EventMaxFuture, EventMaxPast: c.EventMaxPast,
		RateLimit: c.RateLimit, RateBurst: c.RateBurst, DedupSize: c.DedupSize, DedupWindow: c.DedupWindow,
		CORS:      ingest.CORSConfig{Origins: c.CORSOrigins, Headers: c.CORSHeaders, Credentials: c.CORSCredentials, MaxAge: c.CORSMaxAge},
		PublicURL: c.PublicURL, TrustedProxies: c.TrustedProxies, Version: version,
	}, nil
}

// Run serves until ctx is cancelled, then drains in-flight requests and
// flushes the Kafka writers. ln may be nil (listen on cfg.HTTPAddr).
func Run(ctx context.Context, cfg Config, version string, ln net.Listener, log *slog.Logger, reg *prometheus.Registry) error {
	hc, err := cfg.HandlerConfig(version)
	if err != nil {
		return err
	}
	sink, err := kafkasink.New(cfg.Kafka)
	if err != nil {
		return err
	}
	var sup ingest.Suppressor
	if cfg.Suppression.Enabled {
		list := suppress.New(nil, suppress.Options{Database: cfg.ClickHouse.Database, Junk: junkid.New(cfg.JunkIDs...), Kind: "collector"})
		sup = list
		sctx, stop := context.WithCancel(ctx)
		done := make(chan struct{})
		go func() { defer close(done); runSuppression(sctx, cfg, list, log) }()
		// After the drain the list records the collector's stop (erasures
		// stop waiting for it): wait for that before exiting.
		defer func() { stop(); <-done }()
	}
	h, err := ingest.New(hc, sink, sup, reg, log)
	if err != nil {
		return err
	}
	health := telemetry.NewHealth()
	health.Private = log // the collector's port faces the internet
	health.AddCheck("kafka", sink.Ready)
	mux := http.NewServeMux()
	h.Register(mux)
	var adminErr <-chan error
	if cfg.AdminAddr == "" {
		health.Register(mux, reg)
	} else {
		health.RegisterProbes(mux)
		var stop context.CancelFunc
		ctx, stop = context.WithCancel(ctx)
		defer stop()
		if adminErr, err = serveAdmin(ctx, stop, cfg, health, reg, log); err != nil {
			return errors.Join(err, sink.Close())
		}
	}
	srv := cfg.HTTPConfig.Server(mux)
	srv.WriteTimeout = cfg.HTTPConfig.WithDefaults().BodyTimeout + cfg.ProduceTimeout
	if ln == nil {
		if ln, err = net.Listen("tcp", cfg.HTTPAddr); err != nil {
			return errors.Join(fmt.Errorf("listen %s: %w", cfg.HTTPAddr, err), sink.Close())
		}
	}
	serveErr := telemetry.Serve(ctx, srv, ln, cfg.ShutdownTimeout, log)
	if adminErr != nil {
		serveErr = errors.Join(serveErr, <-adminErr)
	}
	// In-flight requests are done (they waited for their acks); flush what
	// the writers still hold, e.g. DLQ records.
	return errors.Join(serveErr, sink.Close())
}

// serveAdmin serves /metrics, /healthz and /readyz on cfg.AdminAddr until
// ctx ends; when it fails, it calls stop (the collector stops too). The
// channel gives its outcome once it stopped.
func serveAdmin(ctx context.Context, stop context.CancelFunc, cfg Config, health *telemetry.Health, reg *prometheus.Registry, log *slog.Logger) (<-chan error, error) {
	ln, err := net.Listen("tcp", cfg.AdminAddr)
	if err != nil {
		return nil, fmt.Errorf("listen %s (CEM_ADMIN_ADDR): %w", cfg.AdminAddr, err)
	}
	mux := http.NewServeMux()
	health.Register(mux, reg)
	done := make(chan error, 1)
	go func() {
		err := telemetry.Serve(ctx, cfg.HTTPConfig.Server(mux), ln, cfg.ShutdownTimeout, log)
		if err != nil {
			stop()
		}
		done <- err
	}()
	return done, nil
}

// runSuppression connects to ClickHouse (retrying; ingestion does not wait
// for it) and keeps the suppression list fresh until ctx ends.
func runSuppression(ctx context.Context, cfg Config, list *suppress.List, log *slog.Logger) {
	for wait := time.Second; ; wait = min(2*wait, time.Minute) {
		conn, err := chconn.Open(ctx, cfg.ClickHouse)
		if err == nil {
			defer conn.Close()
			list.Use(conn)
			list.Run(ctx, suppress.RunConfig{Interval: cfg.Suppression.Interval, Heartbeat: cfg.Suppression.Heartbeat}, log)
			return
		}
		log.Warn("suppression list: ClickHouse not reachable; retrying", "err", err, "in", wait)
		select {
		case <-ctx.Done():
			return
		case <-time.After(wait):
		}
	}
}
