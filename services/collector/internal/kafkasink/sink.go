// Package kafkasink writes accepted events to cem.events and rejected ones
// to cem.events.dlq with segmentio/kafka-go, acknowledged by all in-sync
// replicas.
package kafkasink

import (
	"context"
	"errors"
	"fmt"
	"github.com/cemhq/cem/pkg/record"
	"sync"
	"time"

	"github.com/segmentio/kafka-go"
)

// Config configures the writers.
type Config struct {
	// Brokers is the bootstrap list (CEM_KAFKA_BROKERS).
	Brokers []string `envconfig:"BROKERS" default:"127.0.0.1:9092"`
	// Topic receives accepted events (CEM_KAFKA_TOPIC).
	Topic string `envconfig:"TOPIC" default:"cem.events"`
	// DLQTopic receives rejected events (CEM_KAFKA_DLQ_TOPIC).
	DLQTopic string `envconfig:"DLQ_TOPIC" default:"cem.events.dlq"`
	// Linger is how long the writer waits to fill a batch across concurrent
	// requests (CEM_KAFKA_LINGER). kafka-go's default of 1 s would add a
	// second to every request.
	Linger time.Duration `envconfig:"LINGER" default:"5ms"`
	// BatchSize is the most messages in one produce request per partition
	// (CEM_KAFKA_BATCH_SIZE).
	BatchSize int `envconfig:"BATCH_SIZE" default:"2000"`
	// Compression is none, gzip, snappy, lz4 or zstd (CEM_KAFKA_COMPRESSION).
	Compression string `envconfig:"COMPRESSION" default:"lz4"`
	// WriteTimeout bounds one produce round trip (CEM_KAFKA_WRITE_TIMEOUT).
	WriteTimeout time.Duration `envconfig:"WRITE_TIMEOUT" default:"5s"`
	// MaxAttempts is how often a failed produce is tried (CEM_KAFKA_MAX_ATTEMPTS).
	MaxAttempts int `envconfig:"MAX_ATTEMPTS" default:"3"`
}

// Sink holds the events and DLQ writers.
type Sink struct {
	cfg         Config
	events, dlq *kafka.Writer

	mu        sync.Mutex
	checkedAt time.Time
	checkErr  error
}

var codecs = map[string]kafka.Compression{"none": 0, "gzip": kafka.Gzip, "snappy": kafka.Snappy, "lz4": kafka.Lz4, "zstd": kafka.Zstd}

// KnownCompression reports whether name is a Compression New accepts.
func KnownCompression(name string) bool {
	_, ok := codecs[name]
	return ok
}

// New returns a Sink; it connects lazily.
func New(cfg Config) (*Sink, error) {
	if len(cfg.Brokers) == 0 {
		return nil, errors.New("kafka: no brokers")
	}
	codec, ok := codecs[cfg.Compression]
	if !ok {
		return nil, fmt.Errorf("kafka: unknown compression %q", cfg.Compression)
	}
	w := func(topic string) *kafka.Writer {
		return &kafka.Writer{
			Addr:            kafka.TCP(cfg.Brokers...),
			Topic:           topic,
			Balancer:        &kafka.Murmur2Balancer{}, // keyed like the Java client; the default round-robin ignores keys
			RequiredAcks:    kafka.RequireAll,
			BatchTimeout:    cfg.Linger,
			BatchSize:       cfg.BatchSize,
			BatchBytes:      1 << 20,
			Compression:     codec,
			WriteTimeout:    cfg.WriteTimeout,
			ReadTimeout:     cfg.WriteTimeout,
			MaxAttempts:     cfg.MaxAttempts,
			WriteBackoffMin: 50 * time.Millisecond,
			WriteBackoffMax: 500 * time.Millisecond,
		}
	}
	return &Sink{cfg: cfg, events: w(cfg.Topic), dlq: w(cfg.DLQTopic)}, nil
}

// Produce writes msgs to the events topic and returns when every one is
// acknowledged by all in-sync replicas, or with the first error.
func (s *Sink) Produce(ctx context.Context, msgs []record.Record) error {
	if len(msgs) == 0 {
		return nil
	}
	return s.events.WriteMessages(ctx, record.ToMessages(msgs)...)
}

// DeadLetter writes msgs to the DLQ topic.
func (s *Sink) DeadLetter(ctx context.Context, msgs []record.Record) error {
	if len(msgs) == 0 {
		return nil
	}
	return s.dlq.WriteMessages(ctx, record.ToMessages(msgs)...)
}

// Ready checks that a broker answers with the metadata of the events topic;
// the answer is cached for a second.
func (s *Sink) Ready(ctx context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if time.Since(s.checkedAt) < time.Second {
		return s.checkErr
	}
	s.checkErr = s.check(ctx)
	s.checkedAt = time.Now()
	return s.checkErr
}

func (s *Sink) check(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	var last error
	for _, b := range s.cfg.Brokers {
		conn, err := kafka.DialContext(ctx, "tcp", b)
		if err != nil {
			last = err
			continue
		}
		_ = conn.SetDeadline(time.Now().Add(2 * time.Second))
		parts, err := conn.ReadPartitions(s.cfg.Topic)
		_ = conn.Close()
		if err != nil {
			last = err
			continue
		}
		if len(parts) == 0 {
			return fmt.Errorf("kafka: topic %s has no partitions", s.cfg.Topic)
		}
		return nil
	}
	return fmt.Errorf("kafka: no broker answers: %w", last)
}

// Close flushes and closes both writers.
func (s *Sink) Close() error {
	return errors.Join(s.events.Close(), s.dlq.Close())
}
