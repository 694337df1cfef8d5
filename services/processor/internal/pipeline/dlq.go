package pipeline

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/segmentio/kafka-go"

	"github.com/cemhq/cem/pkg/record"
	"github.com/cemhq/cem/services/processor/internal/sink"
)

// KafkaDLQ publishes records to a topic with acks from all replicas,
// retrying with backoff until they are acknowledged or ctx ends: the DLQ's
// producer, and the alerts' (internal/alertkafka).
type KafkaDLQ struct {
	w       *kafka.Writer
	backoff sink.Backoff
	log     *slog.Logger
	what    string
}

var _ Publisher = (*KafkaDLQ)(nil)

// NewKafkaDLQ returns a publisher of DLQ records to topic on brokers.
func NewKafkaDLQ(brokers []string, topic string, b sink.Backoff, log *slog.Logger) *KafkaDLQ {
	return NewKafkaProducer(brokers, topic, "dlq", b, log)
}

// NewKafkaProducer returns a publisher to topic on brokers; what names its
// records in errors and logs.
func NewKafkaProducer(brokers []string, topic, what string, b sink.Backoff, log *slog.Logger) *KafkaDLQ {
	return &KafkaDLQ{
		what: what,
		w: &kafka.Writer{
			Addr:         kafka.TCP(brokers...),
			Topic:        topic,
			Balancer:     &kafka.Hash{},
			RequiredAcks: kafka.RequireAll,
			BatchTimeout: 5 * time.Millisecond,
			MaxAttempts:  1,
		},
		backoff: b,
		log:     log,
	}
}

// Publish implements Publisher.
func (d *KafkaDLQ) Publish(ctx context.Context, msgs []record.Record) error {
	return sink.Retry(ctx, d.backoff, func(ctx context.Context) error {
		if err := d.w.WriteMessages(ctx, record.ToMessages(msgs)...); err != nil {
			return fmt.Errorf("write %s: %w", d.what, err)
		}
		return nil
	}, func(err error, attempt int) {
		d.log.Warn(d.what+" publish failed; retrying", "attempt", attempt, "err", err)
	})
}

// Close flushes and closes the writer.
func (d *KafkaDLQ) Close() error { return d.w.Close() }
