package ingest_test

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/segmentio/kafka-go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cemhq/cem/pkg/itest"
	"github.com/cemhq/cem/pkg/record"
	"github.com/cemhq/cem/services/processor/internal/ingest"
)

// flushLog records when each Handle came and how many records it took.
type flushLog struct {
	mu      sync.Mutex
	at      []time.Time
	records []int
}

func (h *flushLog) Handle(_ context.Context, msgs []record.Record) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.at = append(h.at, time.Now())
	h.records = append(h.records, len(msgs))
	return nil
}

func (h *flushLog) Reset() {}

func (h *flushLog) flushes() ([]time.Time, []int) {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]time.Time(nil), h.at...), append([]int(nil), h.records...)
}

const (
	flushInterval = 20 * time.Millisecond
	busyInterval  = 2 * time.Second
	busyRows      = 50
)

// busyConsumer returns a function that writes n records to one partition
// of a dev broker (returning when it started), and a consumer with a busy
// interval of that broker, not yet running.
func busyConsumer(t *testing.T) (func(from, n int) time.Time, *ingest.Consumer, *flushLog, *ingest.Metrics) {
	k := itest.Kafka(t)
	w := &kafka.Writer{Addr: kafka.TCP(k.Addr()), Topic: "cem.events", Balancer: &kafka.Hash{}, BatchSize: 1000, BatchTimeout: time.Millisecond}
	t.Cleanup(func() { _ = w.Close() })
	write := func(from, n int) time.Time {
		msgs := make([]kafka.Message, n)
		for i := range msgs {
			msgs[i] = kafka.Message{Key: []byte("one-key"), Value: fmt.Appendf(nil, `{"n":%d}`, from+i)}
		}
		at := time.Now()
		require.NoError(t, w.WriteMessages(context.Background(), msgs...))
		return at
	}
	h := &flushLog{}
	m := ingest.NewMetrics(prometheus.NewRegistry())
	c := ingest.New(ingest.Config{
		Brokers: []string{k.Addr()}, Topic: "cem.events", Group: "busy-test", FlushRows: 100000, FlushInterval: flushInterval,
		BusyRows: busyRows, BusyInterval: busyInterval,
		MaxWait: 50 * time.Millisecond, FinalFlushTimeout: 5 * time.Second, SessionTimeout: 6 * time.Second, RebalanceTimeout: 6 * time.Second,
	}, h, m, slog.New(slog.DiscardHandler))
	return write, c, h, m
}

// TestBusyBatchWaitsIntegration: a small batch is flushed once its oldest
// record is FlushInterval old; a batch that holds BusyRows records by then
// waits until its oldest is BusyInterval old, and goes as one flush.
func TestBusyBatchWaitsIntegration(t *testing.T) {
	write, c, h, m := busyConsumer(t)
	runUntilCleanup(t, c)

	small := write(0, 1)
	itest.Eventually(t, 10*time.Second, func() bool { _, n := h.flushes(); return len(n) == 1 }, "the small flush")
	at, n := h.flushes()
	assert.Equal(t, []int{1}, n)
	assert.Less(t, at[0].Sub(small), busyInterval*3/4, "a small batch does not wait for the busy interval")

	big := write(1, 2*busyRows)
	itest.Eventually(t, 10*time.Second, func() bool { _, n := h.flushes(); return len(n) == 2 }, "the busy flush")
	at, n = h.flushes()
	assert.Equal(t, []int{1, 2 * busyRows}, n, "the busy batch goes as one flush")
	assert.GreaterOrEqual(t, at[1].Sub(big), busyInterval, "a busy batch waits until its oldest record is the busy interval old")
	assert.Equal(t, 1.0, testutil.ToFloat64(m.Flushes.WithLabelValues("interval")))
	assert.Equal(t, 1.0, testutil.ToFloat64(m.Flushes.WithLabelValues("busy_interval")))
}

// TestFirstFlushDoesNotWaitIntegration: the first flush of a generation
// (after a start or rebalance, with cold state) goes at FlushInterval even
// when a backlog makes it busy.
func TestFirstFlushDoesNotWaitIntegration(t *testing.T) {
	write, c, h, m := busyConsumer(t)
	write(0, 4*busyRows)
	start := time.Now()
	runUntilCleanup(t, c)
	itest.Eventually(t, 10*time.Second, func() bool { _, n := h.flushes(); return len(n) > 0 }, "the first flush")
	at, n := h.flushes()
	assert.Less(t, at[0].Sub(start), busyInterval*3/4, "the first flush does not wait for the busy interval")
	t.Logf("first flush: %d records after %s", n[0], at[0].Sub(start))
	itest.Eventually(t, 10*time.Second, func() bool {
		_, n := h.flushes()
		sum := 0
		for _, x := range n {
			sum += x
		}
		return sum == 4*busyRows
	}, "every record flushed")
	assert.GreaterOrEqual(t, testutil.ToFloat64(m.Flushes.WithLabelValues("interval")), 1.0, "the first flush counted as interval")
}
