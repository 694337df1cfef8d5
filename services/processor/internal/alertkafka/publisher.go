package alertkafka

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/segmentio/kafka-go"

	"github.com/cemhq/cem/pkg/alerting"
	"github.com/cemhq/cem/services/processor/internal/sink"
)

// KafkaPublisher produces alerts as JSON to a topic keyed by customer id
// (one customer's alerts stay in order on one partition), acks from all
// replicas, retrying with backoff until acknowledged or ctx ends. The
// scorer and the stream stage share it.
type KafkaPublisher struct {
	w       *kafka.Writer
	backoff sink.Backoff
	log     *slog.Logger
}

// NewKafkaPublisher returns a publisher to topic on brokers.
func NewKafkaPublisher(brokers []string, topic string, b sink.Backoff, log *slog.Logger) *KafkaPublisher {
	return &KafkaPublisher{w: &kafka.Writer{
		Addr:                   kafka.TCP(brokers...),
		Topic:                  topic,
		Balancer:               &kafka.Hash{},
		RequiredAcks:           kafka.RequireAll,
		BatchTimeout:           2 * time.Millisecond,
		MaxAttempts:            1,
		AllowAutoTopicCreation: true,
	}, backoff: b, log: log}
}

// Publish produces alerts.
func (p *KafkaPublisher) Publish(ctx context.Context, alerts []alerting.Alert) error {
	msgs := make([]kafka.Message, len(alerts))
	for i, a := range alerts {
		b, err := json.Marshal(a)
		if err != nil {
			return fmt.Errorf("encode alert %s: %w", a.ID, err)
		}
		msgs[i] = kafka.Message{Key: []byte(a.CustomerID), Value: b, Headers: []kafka.Header{{Key: "cem-alert-reason", Value: []byte(a.Reason)}}}
	}
	return sink.Retry(ctx, p.backoff, func(ctx context.Context) error {
		if err := p.w.WriteMessages(ctx, msgs...); err != nil {
			return fmt.Errorf("produce %d alerts to %s: %w", len(msgs), p.w.Topic, err)
		}
		return nil
	}, func(err error, attempt int) {
		p.log.Warn("alert publish failed; retrying", "attempt", attempt, "err", err)
	})
}

// Close flushes and closes the writer.
func (p *KafkaPublisher) Close() error { return p.w.Close() }

// EnsureTopic creates topic with partitions when it does not exist (the
// broker's default replication factor). An existing topic is left as is.
func EnsureTopic(ctx context.Context, brokers []string, topic string, partitions int) error {
	c := &kafka.Client{Addr: kafka.TCP(brokers...), Timeout: 10 * time.Second}
	res, err := c.CreateTopics(ctx, &kafka.CreateTopicsRequest{Topics: []kafka.TopicConfig{{
		Topic: topic, NumPartitions: partitions, ReplicationFactor: -1,
	}}})
	if err != nil {
		return fmt.Errorf("create topic %s: %w", topic, err)
	}
	if err := res.Errors[topic]; err != nil && !errors.Is(err, kafka.TopicAlreadyExists) {
		return fmt.Errorf("create topic %s: %w", topic, err)
	}
	return nil
}
