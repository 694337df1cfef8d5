package scores

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/segmentio/kafka-go"
)

// KafkaPublisher produces alerts as JSON to a topic, keyed by customer id
// (so one customer's alerts stay in order on one partition), acks=all.
type KafkaPublisher struct {
	w *kafka.Writer
}

var _ Publisher = (*KafkaPublisher)(nil)

// NewKafkaPublisher returns a publisher to topic on brokers. It reuses one
// Writer: hash balancer on the key, RequireAll acks, 5 ms batch timeout.
func NewKafkaPublisher(brokers []string, topic string) *KafkaPublisher {
	return &KafkaPublisher{w: &kafka.Writer{
		Addr:                   kafka.TCP(brokers...),
		Topic:                  topic,
		Balancer:               &kafka.Hash{},
		RequiredAcks:           kafka.RequireAll,
		BatchTimeout:           5 * time.Millisecond,
		AllowAutoTopicCreation: true,
	}}
}

// Publish implements Publisher.
func (p *KafkaPublisher) Publish(ctx context.Context, alerts []Alert) error {
	msgs := make([]kafka.Message, len(alerts))
	for i, a := range alerts {
		b, err := json.Marshal(a)
		if err != nil {
			return fmt.Errorf("encode alert %s: %w", a.ID, err)
		}
		msgs[i] = kafka.Message{Key: []byte(a.CustomerID), Value: b, Headers: []kafka.Header{{Key: "cem-alert-reason", Value: []byte(a.Reason)}}}
	}
	if err := p.w.WriteMessages(ctx, msgs...); err != nil {
		return fmt.Errorf("produce %d alerts to %s: %w", len(msgs), p.w.Topic, err)
	}
	return nil
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
