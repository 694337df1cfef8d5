package devkafka

import (
	"errors"
	"fmt"
	"net"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kfake"
)

// Defaults used by Start for zero Config fields.
const (
	// DefaultAddr is the listen address of the dev broker.
	DefaultAddr = "127.0.0.1:9092"
	// DefaultPartitions is the partition count of created topics.
	DefaultPartitions = 6
)

// DefaultTopics are the topics created at start: events, their dead letter
// queue and alerts.
var DefaultTopics = []string{"cem.events", "cem.events.dlq", "cem.alerts"}

// Config configures a dev broker.
type Config struct {
	// Addr is the TCP listen address. Default 127.0.0.1:9092; use
	// "127.0.0.1:0" to pick a free port (see Broker.Addr).
	Addr string
	// DataDir persists topics, records and group offsets in this directory.
	// Default empty: everything stays in memory and is lost on Close.
	DataDir string
	// NoSync acknowledges a produce once its batch is in the page cache
	// instead of after fsync (kfake's SyncWrites). Default false: with a
	// DataDir every acknowledged batch is on disk, so it survives an OS
	// crash or power loss too, not only a crash of the process.
	NoSync bool
	// Partitions is the partition count of the configured topics and of
	// auto-created ones. Default 6.
	Partitions int
	// Topics are created at start when missing. Default DefaultTopics.
	// Other topics are created automatically on first use.
	Topics []string
}

func (c Config) withDefaults() Config {
	if c.Addr == "" {
		c.Addr = DefaultAddr
	}
	if c.Partitions <= 0 {
		c.Partitions = DefaultPartitions
	}
	if c.Topics == nil {
		c.Topics = DefaultTopics
	}
	return c
}

// Broker is a running dev broker. It is safe for concurrent use.
type Broker struct {
	cluster *kfake.Cluster
	addr    string
}

// Start starts a broker listening on cfg.Addr and creates the configured
// topics that do not exist yet (persisted ones are kept as they are).
func Start(cfg Config) (*Broker, error) {
	cfg = cfg.withDefaults()
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return nil, fmt.Errorf("listen %s: %w", cfg.Addr, err)
	}
	opts := []kfake.Opt{
		kfake.NumBrokers(1),
		kfake.ListenFn(func(string, string) (net.Listener, error) { return ln, nil }),
		kfake.AllowAutoTopicCreation(),
		kfake.DefaultNumPartitions(cfg.Partitions),
	}
	if cfg.DataDir != "" {
		opts = append(opts, kfake.DataDir(cfg.DataDir))
		if !cfg.NoSync {
			opts = append(opts, kfake.SyncWrites())
		}
	}
	cluster, err := kfake.NewCluster(opts...)
	if err != nil {
		_ = ln.Close()
		return nil, fmt.Errorf("start kfake: %w", err)
	}
	b := &Broker{cluster: cluster, addr: ln.Addr().String()}
	for _, t := range cfg.Topics {
		err := cluster.CreateTopic(t, int32(cfg.Partitions), nil)
		if err != nil && !errors.Is(err, kerr.TopicAlreadyExists) {
			b.Close()
			return nil, fmt.Errorf("create topic %s: %w", t, err)
		}
	}
	return b, nil
}

// Addr returns the address clients bootstrap from, e.g. 127.0.0.1:9092.
func (b *Broker) Addr() string { return b.addr }

// Close stops the broker; with a DataDir it first writes its state to disk.
// It is idempotent.
func (b *Broker) Close() { b.cluster.Close() }
