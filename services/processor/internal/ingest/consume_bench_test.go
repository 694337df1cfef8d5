package ingest_test

import (
	"context"
	"fmt"
	"log/slog"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/segmentio/kafka-go"

	"github.com/cemhq/cem/pkg/itest"
	"github.com/cemhq/cem/pkg/record"
	"github.com/cemhq/cem/services/processor/internal/ingest"
)

type countHandler struct{ n atomic.Int64 }

func (h *countHandler) Handle(_ context.Context, msgs []record.Record) error {
	h.n.Add(int64(len(msgs)))
	return nil
}
func (h *countHandler) Reset() {}

// BenchmarkConsume measures how fast the consumer alone (group join
// excluded) drains preloaded records from the dev broker with a no-op
// handler: the ceiling of the processor on this broker.
func BenchmarkConsume(b *testing.B) {
	const n = 100000
	for range b.N {
		b.StopTimer()
		k := itest.Kafka(b)
		w := &kafka.Writer{Addr: kafka.TCP(k.Addr()), Topic: "cem.events", Balancer: &kafka.Hash{}, BatchSize: 5000, BatchTimeout: time.Millisecond}
		val := make([]byte, 900)
		for i := 0; i < n; i += 5000 {
			msgs := make([]kafka.Message, 5000)
			for j := range msgs {
				msgs[j] = kafka.Message{Key: fmt.Appendf(nil, "k%d", (i+j)%5000), Value: val}
			}
			if err := w.WriteMessages(context.Background(), msgs...); err != nil {
				b.Fatal(err)
			}
		}
		_ = w.Close()
		h := &countHandler{}
		c := ingest.New(ingest.Config{
			Brokers: []string{k.Addr()}, Topic: "cem.events", Group: "bench", FlushRows: 50000, FlushInterval: time.Second,
			MaxWait: 250 * time.Millisecond, FinalFlushTimeout: 5 * time.Second, SessionTimeout: 10 * time.Second, RebalanceTimeout: 10 * time.Second,
		}, h, ingest.NewMetrics(prometheus.NewRegistry()), slog.New(slog.DiscardHandler))
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan struct{})
		go func() { _ = c.Run(ctx); close(done) }()
		itest.Eventually(b, time.Minute, func() bool { return h.n.Load() > 0 }, "first flush")
		start := time.Now()
		first := h.n.Load()
		b.StartTimer()
		itest.Eventually(b, 2*time.Minute, func() bool { return h.n.Load() >= n }, "all consumed")
		b.StopTimer()
		b.ReportMetric(float64(n-first)/time.Since(start).Seconds(), "events/s")
		cancel()
		<-done
	}
}
