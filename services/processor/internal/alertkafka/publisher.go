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
	"github.com/cemhq/cem/pkg/record"
	"github.com/cemhq/cem/services/processor/internal/pipeline"
	"github.com/cemhq/cem/services/processor/internal/sink"
)

// KafkaPublisher produces alerts as JSON to a topic keyed by customer id
// (one customer's alerts stay in order on one partition), with header
// cem-alert-reason, through the processor's retrying producer
// (pipeline.NewKafkaProducer: acks from all replicas, backoff until
// acknowledged or ctx ends). The scorer, the ticket timer and the stream
// stage share it.
type KafkaPublisher struct{ p *pipeline.KafkaDLQ }

// NewKafkaPublisher returns a publisher to topic on brokers.
func NewKafkaPublisher(brokers []string, topic string, b sink.Backoff, log *slog.Logger) *KafkaPublisher {
	return &KafkaPublisher{p: pipeline.NewKafkaProducer(brokers, topic, "alerts", b, log)}
}

// Publish produces alerts.
func (p *KafkaPublisher) Publish(ctx context.Context, alerts []alerting.Alert) error {
	recs := make([]record.Record, len(alerts))
	for i, a := range alerts {
		b, err := json.Marshal(a)
		if err != nil {
			return fmt.Errorf("encode alert %s: %w", a.ID, err)
		}
		recs[i] = record.Record{Key: []byte(a.CustomerID), Value: b, Headers: []record.Header{{Key: "cem-alert-reason", Value: []byte(a.Reason)}}}
	}
	return p.p.Publish(ctx, recs)
}

// Close flushes and closes the writer.
func (p *KafkaPublisher) Close() error { return p.p.Close() }

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
