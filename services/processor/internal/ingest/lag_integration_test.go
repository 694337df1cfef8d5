package ingest_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync/atomic"
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

// gateHandler blocks its first Handle until release is closed and calls
// second at the start of the second (the consumer sets the lag of a flush
// before it starts the next).
type gateHandler struct {
	countHandler
	started chan struct{}
	release chan struct{}
	second  func()
	calls   int
}

func (h *gateHandler) Handle(ctx context.Context, msgs []record.Record) error {
	h.calls++
	switch h.calls {
	case 1:
		close(h.started)
		<-h.release
	case 2:
		h.second()
	}
	return h.countHandler.Handle(ctx, msgs)
}

// TestLagCountsFetchedUnwrittenIntegration: messages that arrive one by
// one while a flush is slow are fetched at once (each at the high-water
// mark of its own fetch) and wait in memory; the lag after the slow flush
// must count them, or a processor falling behind looks caught up.
func TestLagCountsFetchedUnwrittenIntegration(t *testing.T) {
	k := itest.Kafka(t)
	w := &kafka.Writer{Addr: kafka.TCP(k.Addr()), Topic: "cem.events", Balancer: &kafka.Hash{}, BatchSize: 1, BatchTimeout: time.Millisecond}
	t.Cleanup(func() { _ = w.Close() })
	const key = "one-key" // one partition
	write := func(i int) {
		require.NoError(t, w.WriteMessages(context.Background(), kafka.Message{Key: []byte(key), Value: fmt.Appendf(nil, `{"n":%d}`, i)}))
	}

	h := &gateHandler{started: make(chan struct{}), release: make(chan struct{})}
	m := ingest.NewMetrics(prometheus.NewRegistry())
	lagAfterFirst := make(chan float64, 1)
	h.second = func() {
		var lag float64 // of the one partition written to (the dev broker has 6)
		for p := range 6 {
			lag = max(lag, testutil.ToFloat64(m.Lag.WithLabelValues(fmt.Sprint(p))))
		}
		lagAfterFirst <- lag
	}
	c := ingest.New(ingest.Config{
		Brokers: []string{k.Addr()}, Topic: "cem.events", Group: "lag-test", FlushRows: 1, FlushInterval: 10 * time.Millisecond,
		MaxWait: 50 * time.Millisecond, FinalFlushTimeout: 5 * time.Second, SessionTimeout: 6 * time.Second, RebalanceTimeout: 6 * time.Second,
	}, h, m, slog.New(slog.DiscardHandler))
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { _ = c.Run(ctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done })

	write(0)
	<-h.started // the first flush (message 0) is stuck
	const later = 30
	for i := 1; i <= later; i++ {
		write(i)
		// Each is fetched on its own before the next is written.
		itest.Eventually(t, 10*time.Second, func() bool { return testutil.ToFloat64(m.Consumed) >= float64(i+1) }, "fetched")
	}
	close(h.release)
	// After the first flush the other 30 are fetched but not written.
	select {
	case lag := <-lagAfterFirst:
		assert.Equal(t, float64(later), lag, "fetched, unwritten messages count as lag")
	case <-time.After(10 * time.Second):
		t.Fatal("no second flush")
	}
	itest.Eventually(t, 10*time.Second, func() bool { return h.n.Load() == later+1 }, "all handled")
}

// prepHandler is a gateHandler that is also an ingest.Preparer.
type prepHandler struct {
	gateHandler
	prepared  atomic.Int64
	undecoded atomic.Int64
}

func (h *prepHandler) Prepare(r *record.Record) {
	r.Decoded = string(r.Value)
	h.prepared.Add(1)
}

func (h *prepHandler) Handle(ctx context.Context, msgs []record.Record) error {
	for _, m := range msgs {
		if m.Decoded != string(m.Value) {
			h.undecoded.Add(1)
		}
	}
	return h.gateHandler.Handle(ctx, msgs)
}

// TestPrepareRunsAheadOfFlushIntegration: a Preparer's Prepare runs on
// records as they are fetched, while the flush before them is still in
// progress, and Handle gets what it made of each record.
func TestPrepareRunsAheadOfFlushIntegration(t *testing.T) {
	k := itest.Kafka(t)
	w := &kafka.Writer{Addr: kafka.TCP(k.Addr()), Topic: "cem.events", Balancer: &kafka.Hash{}, BatchSize: 1, BatchTimeout: time.Millisecond}
	t.Cleanup(func() { _ = w.Close() })
	write := func(i int) {
		require.NoError(t, w.WriteMessages(context.Background(), kafka.Message{Key: fmt.Appendf(nil, "k%d", i), Value: fmt.Appendf(nil, `{"n":%d}`, i)}))
	}
	h := &prepHandler{gateHandler: gateHandler{started: make(chan struct{}), release: make(chan struct{}), second: func() {}}}
	c := ingest.New(ingest.Config{
		Brokers: []string{k.Addr()}, Topic: "cem.events", Group: "prepare-test", FlushRows: 1, FlushInterval: 10 * time.Millisecond,
		MaxWait: 50 * time.Millisecond, FinalFlushTimeout: 5 * time.Second, SessionTimeout: 6 * time.Second, RebalanceTimeout: 6 * time.Second,
	}, h, ingest.NewMetrics(prometheus.NewRegistry()), slog.New(slog.DiscardHandler))
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { _ = c.Run(ctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done })

	write(0)
	<-h.started // the first flush is stuck
	const later = 20
	for i := 1; i <= later; i++ {
		write(i)
	}
	itest.Eventually(t, 10*time.Second, func() bool { return h.prepared.Load() == later+1 }, "records behind a stuck flush are prepared")
	close(h.release)
	itest.Eventually(t, 10*time.Second, func() bool { return h.n.Load() == later+1 }, "all handled")
	assert.Zero(t, h.undecoded.Load(), "Handle gets each record with what Prepare made of it")
}

// pipelinedHandler takes flushes like a pipelined handler (Handle returns
// before the flush is durable; Sync completes it) and fails permanently in
// its second Handle, as when the first flush's writes are rejected.
type pipelinedHandler struct{ calls int }

func (h *pipelinedHandler) Handle(context.Context, []record.Record) error {
	h.calls++
	if h.calls == 2 {
		return errors.New("the previous flush's rows were rejected")
	}
	return nil
}

func (h *pipelinedHandler) Sync(context.Context) error { return nil }
func (h *pipelinedHandler) Reset()                     {}

// TestPipelinedFlushNotCommittedBeforeDurableIntegration: a pipelined
// handler's flush is committed only once the next Handle or Sync succeeds;
// when the next Handle fails, neither flush is committed, and the next
// member of the group gets every record again.
func TestPipelinedFlushNotCommittedBeforeDurableIntegration(t *testing.T) {
	k := itest.Kafka(t)
	w := &kafka.Writer{Addr: kafka.TCP(k.Addr()), Topic: "cem.events", Balancer: &kafka.Hash{}, BatchSize: 10, BatchTimeout: time.Millisecond}
	t.Cleanup(func() { _ = w.Close() })
	const key = "one-key" // one partition, in order
	var msgs []kafka.Message
	for i := range 3 {
		msgs = append(msgs, kafka.Message{Key: []byte(key), Value: fmt.Appendf(nil, `{"n":%d}`, i)})
	}
	require.NoError(t, w.WriteMessages(context.Background(), msgs...))
	cfg := ingest.Config{
		Brokers: []string{k.Addr()}, Topic: "cem.events", Group: "pipelined-test", FlushRows: 1, FlushInterval: time.Hour,
		MaxWait: 50 * time.Millisecond, FinalFlushTimeout: 5 * time.Second, SessionTimeout: 6 * time.Second, RebalanceTimeout: 6 * time.Second,
	}
	h := &pipelinedHandler{}
	err := ingest.New(cfg, h, ingest.NewMetrics(prometheus.NewRegistry()), slog.New(slog.DiscardHandler)).Run(context.Background())
	require.ErrorContains(t, err, "rejected", "a permanent failure stops the member")
	assert.Equal(t, 2, h.calls)

	// The next member starts where the group committed: at the start.
	next := &countHandler{}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		_ = ingest.New(cfg, next, ingest.NewMetrics(prometheus.NewRegistry()), slog.New(slog.DiscardHandler)).Run(ctx)
		close(done)
	}()
	t.Cleanup(func() { cancel(); <-done })
	itest.Eventually(t, 20*time.Second, func() bool { return next.n.Load() == 3 }, "every record again")
}
