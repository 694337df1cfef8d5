package app_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/segmentio/kafka-go"
	"github.com/stretchr/testify/require"

	"github.com/cemhq/cem/pkg/chconn"
	"github.com/cemhq/cem/pkg/events"
	"github.com/cemhq/cem/pkg/itest"
	"github.com/cemhq/cem/pkg/telemetry"
	"github.com/cemhq/cem/services/processor/internal/app"
)

// env is one integration test's broker, ClickHouse database and producer.
type env struct {
	t      testing.TB
	broker string
	conn   driver.Conn
	chAddr string
	db     string
	// ch is the processor's ClickHouse configuration (address, database,
	// and on the cluster its name and sharded mode).
	ch chconn.Config
	w  *kafka.Writer
	// group is the consumer group of the processor started last, whose
	// commits waitEvents waits for.
	group string
}

func newEnv(t testing.TB) *env {
	t.Helper()
	conn, chAddr, db := itest.ClickHouse(t)
	return startEnv(t, conn, chconn.Config{Addr: chAddr, Database: db})
}

// forEachLayout runs test on a single node and on the sharded test cluster
// (events and sessions split over the shards behind Distributed tables).
func forEachLayout(t *testing.T, test func(t *testing.T, e *env)) {
	itest.EachLayout(t, func(t *testing.T, conn driver.Conn, ch chconn.Config) { test(t, startEnv(t, conn, ch)) })
}

func startEnv(t testing.TB, conn driver.Conn, ch chconn.Config) *env {
	t.Helper()
	return envOn(t, conn, ch, itest.Kafka(t).Addr())
}

// newEnvWith is newEnv on a broker the test runs itself.
func newEnvWith(t testing.TB, conn driver.Conn, chAddr, db, broker string) *env {
	return envOn(t, conn, chconn.Config{Addr: chAddr, Database: db}, broker)
}

func envOn(t testing.TB, conn driver.Conn, ch chconn.Config, broker string) *env {
	t.Helper()
	e := &env{t: t, broker: broker, conn: conn, chAddr: ch.Addr, db: ch.Database, ch: ch}
	e.w = &kafka.Writer{
		Addr: kafka.TCP(e.broker), Topic: "cem.events", Balancer: &kafka.Hash{},
		RequiredAcks: kafka.RequireAll, BatchTimeout: 5 * time.Millisecond, BatchSize: 1000,
	}
	t.Cleanup(func() { _ = e.w.Close() })
	return e
}

// config returns a processor configuration for this env with test-friendly
// timings and the defaults of every other field.
func (e *env) config(group string) app.Config {
	cfg := app.Config{
		LogConfig:  telemetry.LogConfig{Level: "warn", Format: "text"},
		Kafka:      app.Kafka{Brokers: []string{e.broker}, Topic: "cem.events", DLQTopic: "cem.events.dlq", AlertTopic: "cem.alerts"},
		ClickHouse: e.ch,
		Processor: app.Processor{
			Group: group, FlushRows: 50000, FlushInterval: 200 * time.Millisecond, FetchMaxWait: 100 * time.Millisecond,
			ShutdownTimeout: 10 * time.Second, GroupSessionTimeout: 6 * time.Second, RebalanceTimeout: 10 * time.Second, ProbeInterval: 500 * time.Millisecond,
			RetryInitial: 50 * time.Millisecond, RetryMax: 500 * time.Millisecond, Migrate: true,
			SessionGap: 30 * time.Minute, SessionMax: 24 * time.Hour, AllowedLateness: 30 * time.Minute,
			StateMaxCustomers: 100000, StateMaxBytes: 256 << 20, StateIdle: time.Hour, IdentityMaxClusters: 100000,
			KeyDirectory: true, KeyDirectoryKeys: 100000, // as deployed: every test runs with it
		},
	}
	require.NoError(e.t, cfg.Validate())
	return cfg
}

// proc is an in-process processor.
type proc struct {
	reg    *prometheus.Registry
	admin  string
	cancel context.CancelFunc
	done   chan error
	once   sync.Once
}

// start runs a processor until stop (or the test's end).
func (e *env) start(cfg app.Config) *proc {
	e.t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(e.t, err)
	ctx, cancel := context.WithCancel(context.Background())
	p := &proc{reg: telemetry.NewRegistry("processor", "test"), admin: ln.Addr().String(), cancel: cancel, done: make(chan error, 1)}
	e.group = cfg.Processor.Group
	log := slog.New(slog.NewTextHandler(logOut(), &slog.HandlerOptions{Level: slog.LevelWarn}))
	go func() { p.done <- app.RunListener(ctx, cfg, ln, log, p.reg) }()
	e.t.Cleanup(func() { p.stop(e.t) })
	return p
}

func logOut() io.Writer {
	if testing.Verbose() {
		return os.Stderr
	}
	return io.Discard
}

// stop shuts the processor down gracefully and waits for it.
func (p *proc) stop(t testing.TB) {
	p.once.Do(func() {
		p.cancel()
		select {
		case err := <-p.done:
			require.NoError(t, err)
		case <-time.After(30 * time.Second):
			t.Error("processor did not stop")
		}
	})
}

// produce sends events the way the collector does: key = customer key,
// value = events.Marshal, header cem-v: 1.
func (e *env) produce(evs ...*events.Event) {
	e.t.Helper()
	msgs := make([]kafka.Message, len(evs))
	for i, ev := range evs {
		b, err := events.Marshal(ev)
		require.NoError(e.t, err)
		msgs[i] = kafka.Message{Key: []byte(ev.CustomerKey()), Value: b, Headers: []kafka.Header{{Key: "cem-v", Value: []byte("1")}}}
	}
	require.NoError(e.t, e.w.WriteMessages(context.Background(), msgs...))
}

func (e *env) produceRaw(key string, values ...[]byte) {
	e.t.Helper()
	msgs := make([]kafka.Message, len(values))
	for i, v := range values {
		msgs[i] = kafka.Message{Key: []byte(key), Value: v}
	}
	require.NoError(e.t, e.w.WriteMessages(context.Background(), msgs...))
}

// chEnv is the processor's ClickHouse configuration as CEM_ variables.
func (e *env) chEnv() []string {
	return []string{"CEM_CLICKHOUSE_ADDR=" + e.ch.Addr, "CEM_CLICKHOUSE_DATABASE=" + e.ch.Database,
		"CEM_CLICKHOUSE_CLUSTER=" + e.ch.Cluster, fmt.Sprintf("CEM_CLICKHOUSE_SHARDED=%t", e.ch.Sharded)}
}

// count runs a SELECT count() style query (use {db} for the database).
func (e *env) count(query string, args ...any) uint64 {
	e.t.Helper()
	var n uint64
	require.NoError(e.t, e.conn.QueryRow(context.Background(), e.sql(query), args...).Scan(&n))
	return n
}

// countOr0 is count for polling: 0 while the query fails (for example
// before the processor created the tables).
func (e *env) countOr0(query string, args ...any) uint64 {
	var n uint64
	if err := e.conn.QueryRow(context.Background(), e.sql(query), args...).Scan(&n); err != nil {
		return 0
	}
	return n
}

func (e *env) sql(q string) string {
	return strings.ReplaceAll(q, "{db}", e.db)
}

// waitEvents waits until the events table holds n distinct events and the
// processor started last has committed every record produced. A flush
// writes its events rows before its other tables (sessions, identities,
// customer_ids, identity_merges, alerts), so the events alone do not show
// that those are written; its offsets are committed once they all are.
func (e *env) waitEvents(n uint64) {
	e.t.Helper()
	itest.Eventually(e.t, 60*time.Second, func() bool {
		return e.countOr0("SELECT count() FROM {db}.events FINAL") >= n
	}, fmt.Sprintf("%d events in ClickHouse", n))
	if e.group != "" {
		c := e.kafka()
		itest.Eventually(e.t, 60*time.Second, func() bool {
			behind, err := uncommitted(c, e.group)
			return err == nil && behind == 0
		}, fmt.Sprintf("group %s to commit every record produced", e.group))
	}
}

// uncommitted is how many records of cem.events group has not committed.
func uncommitted(c *kafka.Client, group string) (int64, error) {
	ctx := context.Background()
	md, err := c.Metadata(ctx, &kafka.MetadataRequest{Topics: []string{"cem.events"}})
	if err != nil {
		return 0, err
	}
	if len(md.Topics) != 1 {
		return 0, fmt.Errorf("metadata of cem.events: %d topics", len(md.Topics))
	}
	if err := md.Topics[0].Error; err != nil {
		return 0, fmt.Errorf("metadata of cem.events: %w", err)
	}
	var ids []int
	var last []kafka.OffsetRequest
	for _, p := range md.Topics[0].Partitions {
		ids = append(ids, p.ID)
		last = append(last, kafka.LastOffsetOf(p.ID))
	}
	ends, err := c.ListOffsets(ctx, &kafka.ListOffsetsRequest{Topics: map[string][]kafka.OffsetRequest{"cem.events": last}})
	if err != nil {
		return 0, err
	}
	committed, err := committedOffsets(c, group, ids)
	if err != nil {
		return 0, err
	}
	var behind int64
	for _, p := range ends.Topics["cem.events"] {
		if p.Error != nil {
			return 0, p.Error
		}
		behind += max(p.LastOffset-committed[p.Partition], 0)
	}
	return behind, nil
}

// committedOffsets maps each partition of ids of cem.events to group's
// committed offset there (0 where it has none).
func committedOffsets(c *kafka.Client, group string, ids []int) (map[int]int64, error) {
	res, err := c.OffsetFetch(context.Background(), &kafka.OffsetFetchRequest{GroupID: group, Topics: map[string][]int{"cem.events": ids}})
	if err != nil {
		return nil, err
	}
	out := make(map[int]int64, len(ids))
	for _, p := range res.Topics["cem.events"] {
		out[p.Partition] = max(p.CommittedOffset, 0)
	}
	return out, nil
}

// kafka returns an admin client of the env's broker.
func (e *env) kafka() *kafka.Client {
	return &kafka.Client{Addr: kafka.TCP(e.broker), Timeout: 5 * time.Second}
}

// evb builds events.
type evb struct {
	src   string
	base  time.Time
	seq   int
	runID string
}

// newEvb builds events from six hours ago on: recent enough that the
// session stage's directory of stored keys lets new keys skip their read,
// as in production.
func newEvb(src string) *evb {
	return newEvbAt(src, time.Now().UTC().Truncate(time.Hour).Add(-6*time.Hour))
}

// newEvbAt builds events from base on.
func newEvbAt(src string, base time.Time) *evb {
	return &evb{src: src, base: base, runID: fmt.Sprint(time.Now().UnixNano())}
}

func (b *evb) ev(typ events.Type, anon, user string, min float64, mut ...func(*events.Event)) *events.Event {
	b.seq++
	ts := b.base.Add(time.Duration(min * float64(time.Minute)))
	e := &events.Event{
		Type: typ, MessageID: fmt.Sprintf("m-%s-%d", b.runID, b.seq), AnonymousID: anon, UserID: user,
		Timestamp: ts, OriginalTimestamp: ts, ReceivedAt: time.Now().UTC().Truncate(time.Millisecond), Source: b.src,
	}
	for _, m := range mut {
		m(e)
	}
	return e
}
