package app

import (
	"time"

	"github.com/cemhq/cem/pkg/chconn"
	"github.com/cemhq/cem/pkg/telemetry"
	"github.com/cemhq/cem/services/query/internal/httpapi"
	"github.com/cemhq/cem/services/query/internal/servicelevel"
)

// Config is the query service's configuration, loaded with
// envconfig.Process("cem", &cfg): every variable starts with CEM_.
type Config struct {
	// LogConfig: CEM_LOG_LEVEL (default info), CEM_LOG_FORMAT (default json).
	telemetry.LogConfig
	// HTTPConfig: CEM_HTTP_* (header, body and idle timeouts, header size).
	telemetry.HTTPConfig
	// HTTPAddr is the API listen address (CEM_HTTP_ADDR). Default :8090.
	HTTPAddr string `envconfig:"HTTP_ADDR" default:":8090"`
	// ClickHouse: CEM_CLICKHOUSE_* (CEM_CLICKHOUSE_ADDR default
	// 127.0.0.1:9000, CEM_CLICKHOUSE_DATABASE default cem).
	ClickHouse chconn.Config `envconfig:"CLICKHOUSE"`
	// Query: CEM_QUERY_*.
	Query Query `envconfig:"QUERY"`
	// JunkIDs are ids that never identify a person, added to the built-in
	// list of pkg/junkid (null, undefined, 0, -1, guest, anonymous, unknown,
	// none, nan, n/a, test and ""): never exported, erased or suppressed
	// (CEM_JUNK_IDS, comma list; set the same value on every service).
	// Default empty.
	JunkIDs []string `envconfig:"JUNK_IDS"`
}

// Query configures the API.
type Query struct {
	// Tokens are the accepted bearer tokens, comma-separated
	// (CEM_QUERY_TOKENS). Required. Each entry is a bare token (full
	// access, as before scopes existed), "name:token" (full access) or
	// "name:token:scope+scope" with scopes read, export, erase, write and
	// admin (all of them); the name is what the audit log records.
	Tokens []string `envconfig:"TOKENS"`
	// Timeout bounds one API request, ClickHouse time included
	// (CEM_QUERY_TIMEOUT). Default 30s.
	Timeout time.Duration `envconfig:"TIMEOUT" default:"30s"`
	// EraseTimeout bounds a GDPR erasure, which waits for ClickHouse
	// mutations (CEM_QUERY_ERASE_TIMEOUT). Default 10m.
	EraseTimeout time.Duration `envconfig:"ERASE_TIMEOUT" default:"10m"`
	// EraseAckTimeout bounds the wait of an erasure for every live writer
	// (collector, processor) to acknowledge the suppression before it
	// deletes (CEM_QUERY_ERASE_ACK_TIMEOUT); beyond it the erasure fails
	// with 503 writers_unconfirmed. Default 30s.
	EraseAckTimeout time.Duration `envconfig:"ERASE_ACK_TIMEOUT" default:"30s"`
	// EraseWriterTTL: a writer whose last heartbeat is older is considered
	// gone and not waited for (CEM_QUERY_ERASE_WRITER_TTL); keep it above
	// the writers' heartbeat (5s). Default 30s.
	EraseWriterTTL time.Duration `envconfig:"ERASE_WRITER_TTL" default:"30s"`
	// MaxRows caps page sizes and result lists (CEM_QUERY_MAX_ROWS).
	// Default 10000.
	MaxRows int `envconfig:"MAX_ROWS" default:"10000"`
	// ExportMaxRows caps the rows per table of a GDPR export
	// (CEM_QUERY_EXPORT_MAX_ROWS). Default 1000000.
	ExportMaxRows int `envconfig:"EXPORT_MAX_ROWS" default:"1000000"`
	// MinN is the default minimum number of answers for a score group to be
	// reported as sufficient (CEM_QUERY_MIN_N). Default 30.
	MinN uint64 `envconfig:"MIN_N" default:"30"`
	// ServiceTargets are response/resolution targets per ticket channel,
	// "channel=response/resolution,..." with "*" as the fallback
	// (CEM_QUERY_SERVICE_TARGETS). Default
	// phone=5m/24h,chat=2m/4h,email=24h/72h,letter=120h/240h,*=1h/24h.
	ServiceTargets string `envconfig:"SERVICE_TARGETS" default:"phone=5m/24h,chat=2m/4h,email=24h/72h,letter=120h/240h,*=1h/24h"`
	// HeavyPerToken bounds the heavy analyses (funnels, paths, retention,
	// journeys, GDPR exports) one token runs at once; beyond it the API
	// answers 429 with Retry-After (CEM_QUERY_HEAVY_PER_TOKEN). Default 4.
	HeavyPerToken int `envconfig:"HEAVY_PER_TOKEN" default:"4"`
	// Migrate applies the schemas/clickhouse migrations at start
	// (CEM_QUERY_MIGRATE). Default true.
	Migrate bool `envconfig:"MIGRATE" default:"true"`
	// ShutdownTimeout bounds the drain of in-flight requests
	// (CEM_QUERY_SHUTDOWN_TIMEOUT). Default 15s.
	ShutdownTimeout time.Duration `envconfig:"SHUTDOWN_TIMEOUT" default:"15s"`
}

// Validate reports configuration errors, each naming its variable.
func (c *Config) Validate() error {
	var v telemetry.ConfigCheck
	v.Add(c.HTTPConfig.Validate())
	q := c.Query
	v.Require(c.HTTPAddr != "", "CEM_HTTP_ADDR", "is required")
	v.Add(c.ClickHouse.Validate())
	if _, err := httpapi.ParseTokens(q.Tokens); err != nil {
		v.Require(false, "CEM_QUERY_TOKENS", "%v", err)
	}
	v.Require(q.Timeout > 0, "CEM_QUERY_TIMEOUT", "must be positive, got %s", q.Timeout)
	v.Require(q.EraseTimeout > 0, "CEM_QUERY_ERASE_TIMEOUT", "must be positive, got %s", q.EraseTimeout)
	v.Require(q.EraseAckTimeout > 0, "CEM_QUERY_ERASE_ACK_TIMEOUT", "must be positive, got %s", q.EraseAckTimeout)
	v.Require(q.EraseWriterTTL > 0, "CEM_QUERY_ERASE_WRITER_TTL", "must be positive, got %s", q.EraseWriterTTL)
	v.Require(q.ShutdownTimeout > 0, "CEM_QUERY_SHUTDOWN_TIMEOUT", "must be positive, got %s", q.ShutdownTimeout)
	v.Require(q.MaxRows > 0, "CEM_QUERY_MAX_ROWS", "must be positive, got %d", q.MaxRows)
	v.Require(q.HeavyPerToken > 0, "CEM_QUERY_HEAVY_PER_TOKEN", "must be positive, got %d", q.HeavyPerToken)
	v.Require(q.ExportMaxRows > 0, "CEM_QUERY_EXPORT_MAX_ROWS", "must be positive, got %d", q.ExportMaxRows)
	if _, err := servicelevel.ParseTargets(q.ServiceTargets); err != nil {
		v.Require(false, "CEM_QUERY_SERVICE_TARGETS", "%v", err)
	}
	return v.Err()
}
