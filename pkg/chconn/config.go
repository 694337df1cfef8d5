package chconn

import (
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"
)

// Config configures a ClickHouse connection pool. Zero fields take the
// defaults below, so Config{Addr: a, Database: d} is usable as is.
type Config struct {
	// Addr is the native-protocol address, host:port; a comma list is
	// tried in order (CEM_CLICKHOUSE_ADDR). Default 127.0.0.1:9000.
	Addr string `envconfig:"ADDR" default:"127.0.0.1:9000"`
	// Database all unqualified names refer to; created by Open when missing
	// (CEM_CLICKHOUSE_DATABASE). Default cem.
	Database string `envconfig:"DATABASE" default:"cem"`
	// User (CEM_CLICKHOUSE_USER). Default "default".
	User string `envconfig:"USER" default:"default"`
	// Password (CEM_CLICKHOUSE_PASSWORD). Default empty.
	Password string `envconfig:"PASSWORD"`
	// DialTimeout bounds connecting (CEM_CLICKHOUSE_DIAL_TIMEOUT). Default 5s.
	DialTimeout time.Duration `envconfig:"DIAL_TIMEOUT" default:"5s"`
	// ReadTimeout bounds waiting for a server response
	// (CEM_CLICKHOUSE_READ_TIMEOUT). Default 5m.
	ReadTimeout time.Duration `envconfig:"READ_TIMEOUT" default:"5m"`
	// MaxOpenConns caps pooled connections (CEM_CLICKHOUSE_MAX_OPEN_CONNS).
	// Default 10.
	MaxOpenConns int `envconfig:"MAX_OPEN_CONNS" default:"10"`
	// MaxIdleConns caps idle pooled connections
	// (CEM_CLICKHOUSE_MAX_IDLE_CONNS). Default 5.
	MaxIdleConns int `envconfig:"MAX_IDLE_CONNS" default:"5"`
	// ConnMaxLifetime recycles connections after this long
	// (CEM_CLICKHOUSE_CONN_MAX_LIFETIME). Default 1h.
	ConnMaxLifetime time.Duration `envconfig:"CONN_MAX_LIFETIME" default:"1h"`
	// KeepBuffers keeps a connection's encode and compression buffers
	// between statements (CEM_CLICKHOUSE_KEEP_BUFFERS). Default false: they
	// are released when the connection returns to the pool, so idle
	// connections do not hold the memory of the largest insert they sent (a
	// 50k-row events block left about 190 MB in the processor's connections
	// at 1M customer keys; docs/benchmarks.md).
	KeepBuffers bool `envconfig:"KEEP_BUFFERS" default:"false"`
	// Compression of data blocks: lz4 or none (CEM_CLICKHOUSE_COMPRESSION).
	// Default lz4.
	Compression string `envconfig:"COMPRESSION" default:"lz4"`
	// Cluster selects cluster mode for the migrations: DDL runs ON CLUSTER
	// and tables use the Replicated engines (CEM_CLICKHOUSE_CLUSTER, the
	// cluster name of the server's remote_servers). Empty: single node.
	Cluster string `envconfig:"CLUSTER"`
	// Sharded splits the event tables over the cluster's shards behind
	// Distributed tables (CEM_CLICKHOUSE_SHARDED; needs Cluster). Inserts
	// then wait until every shard has its rows (insert_distributed_sync), so
	// that a write the processor commits in Kafka is stored. See
	// chmigrate.Options.Sharded and docs/operations.md.
	Sharded bool `envconfig:"SHARDED"`
}

var identRE = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// Ident reports whether s is a plain identifier (letters, digits, _; not
// starting with a digit) that may appear in SQL text: database, cluster,
// table and column names are checked with it before they are.
func Ident(s string) bool { return identRE.MatchString(s) }

// withDefaults fills zero fields with the documented defaults.
func (c Config) withDefaults() Config {
	def := func(s *string, v string) {
		if *s == "" {
			*s = v
		}
	}
	def(&c.Addr, "127.0.0.1:9000")
	def(&c.Database, "cem")
	def(&c.User, "default")
	def(&c.Compression, "lz4")
	if c.DialTimeout <= 0 {
		c.DialTimeout = 5 * time.Second
	}
	if c.ReadTimeout <= 0 {
		c.ReadTimeout = 5 * time.Minute
	}
	if c.MaxOpenConns <= 0 {
		c.MaxOpenConns = 10
	}
	if c.MaxIdleConns <= 0 {
		c.MaxIdleConns = 5
	}
	if c.MaxIdleConns > c.MaxOpenConns {
		c.MaxIdleConns = c.MaxOpenConns
	}
	if c.ConnMaxLifetime <= 0 {
		c.ConnMaxLifetime = time.Hour
	}
	return c
}

// Addrs returns the addresses of Addr.
func (c Config) Addrs() []string {
	var out []string
	for a := range strings.SplitSeq(c.Addr, ",") {
		if a = strings.TrimSpace(a); a != "" {
			out = append(out, a)
		}
	}
	return out
}

// Validate reports configuration errors (after applying defaults).
func (c Config) Validate() error {
	c = c.withDefaults()
	var errs []error
	for _, a := range c.Addrs() {
		if !strings.Contains(a, ":") {
			errs = append(errs, fmt.Errorf("CEM_CLICKHOUSE_ADDR: %q is not host:port", a))
		}
	}
	if !identRE.MatchString(c.Database) {
		errs = append(errs, fmt.Errorf("CEM_CLICKHOUSE_DATABASE: %q is not a plain identifier", c.Database))
	}
	if c.Cluster != "" && !identRE.MatchString(c.Cluster) {
		errs = append(errs, fmt.Errorf("CEM_CLICKHOUSE_CLUSTER: %q is not a plain identifier", c.Cluster))
	}
	if c.Sharded && c.Cluster == "" {
		errs = append(errs, errors.New("CEM_CLICKHOUSE_SHARDED needs CEM_CLICKHOUSE_CLUSTER"))
	}
	if c.Compression != "lz4" && c.Compression != "none" {
		errs = append(errs, fmt.Errorf("CEM_CLICKHOUSE_COMPRESSION: %q is not lz4 or none", c.Compression))
	}
	return errors.Join(errs...)
}
