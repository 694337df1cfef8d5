package kafkaload

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/segmentio/kafka-go"

	"github.com/cemhq/cem/pkg/events"
	"github.com/cemhq/cem/services/loadgen/internal/population"
)

// Options configure Preload.
type Options struct {
	Brokers []string
	// Topic. Default cem.events.
	Topic string
	// Events is the number of events to produce.
	Events int
	// Chunk is the messages per WriteMessages call. Default 5000.
	Chunk int
	// PerCustomer keeps only the first PerCustomer events of each
	// customer's journey (0: all): many distinct keys with few events each,
	// the processor's scale test.
	PerCustomer int
	// Compression of the produced batches (kafka-go's codec; zero: none).
	// The collector produces lz4 by default; compressed records also keep
	// an in-memory dev broker small for large preloads.
	Compression kafka.Compression
}

// Messages returns the Kafka records of evs.
func Messages(evs []events.Event) ([]kafka.Message, error) {
	out := make([]kafka.Message, len(evs))
	hdr := []kafka.Header{{Key: events.HeaderVersion, Value: []byte(strconv.Itoa(events.WireVersion))}}
	for i := range evs {
		v, err := events.Marshal(&evs[i])
		if err != nil {
			return nil, fmt.Errorf("marshal %s: %w", evs[i].MessageID, err)
		}
		out[i] = kafka.Message{Key: []byte(evs[i].CustomerKey()), Value: v, Headers: hdr}
	}
	return out, nil
}

// Preload produces the first o.Events events of pop (customer order) and
// returns the number of customers they cover and of distinct customer keys.
func Preload(ctx context.Context, pop *population.Population, o Options) (customers, keys int, err error) {
	if o.Topic == "" {
		o.Topic = "cem.events"
	}
	if o.Chunk <= 0 {
		o.Chunk = 5000
	}
	w := &kafka.Writer{
		Addr: kafka.TCP(o.Brokers...), Topic: o.Topic, Balancer: &kafka.Hash{}, RequiredAcks: kafka.RequireAll,
		BatchSize: o.Chunk, BatchTimeout: 5 * time.Millisecond, WriteTimeout: time.Minute, Compression: o.Compression,
	}
	defer func() {
		if cerr := w.Close(); err == nil && cerr != nil {
			err = cerr
		}
	}()
	// Marshal the next chunk while the current one is written.
	type part struct {
		msgs []kafka.Message
		err  error
	}
	parts := make(chan part, 1)
	go func() {
		defer close(parts)
		var pending []events.Event
		sent := 0
		for c := 0; sent < o.Events; c++ {
			var evs []events.Event
			if o.PerCustomer > 0 {
				evs = pop.Opening(c, o.PerCustomer)
			} else {
				evs = pop.Journey(c)
			}
			customers++
			keySet := map[string]bool{}
			for i := range evs {
				keySet[evs[i].CustomerKey()] = true
			}
			keys += len(keySet)
			pending = append(pending, evs...)
			for len(pending) >= o.Chunk || (sent+len(pending) >= o.Events && len(pending) > 0) {
				n := min(o.Chunk, len(pending), o.Events-sent)
				msgs, err := Messages(pending[:n])
				select {
				case parts <- part{msgs, err}:
				case <-ctx.Done():
					return
				}
				sent += n
				pending = pending[n:]
				if sent >= o.Events {
					return
				}
			}
		}
	}()
	for p := range parts {
		if p.err != nil {
			return customers, keys, p.err
		}
		if err := w.WriteMessages(ctx, p.msgs...); err != nil {
			return customers, keys, fmt.Errorf("produce: %w", err)
		}
	}
	return customers, keys, ctx.Err()
}
