package ingest_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
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
	runUntilCleanup(t, c)

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

// runUntilCleanup runs c in the background until the test ends.
func runUntilCleanup(t *testing.T, c *ingest.Consumer) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { _ = c.Run(ctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
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
	runUntilCleanup(t, ingest.New(cfg, next, ingest.NewMetrics(prometheus.NewRegistry()), slog.New(slog.DiscardHandler)))
	itest.Eventually(t, 20*time.Second, func() bool { return next.n.Load() == 3 }, "every record again")
}

// cancelledHandler is a pipelined handler whose second Handle is still
// loading when the member shuts down (its ctx ends); the first flush's
// writes complete.
type cancelledHandler struct {
	mu       sync.Mutex
	handled  [][]string // the values of each Handle's records
	synced   int
	blocking chan struct{}
}

func (h *cancelledHandler) Handle(ctx context.Context, msgs []record.Record) error {
	h.mu.Lock()
	var vals []string
	for _, m := range msgs {
		vals = append(vals, string(m.Value))
	}
	h.handled = append(h.handled, vals)
	n := len(h.handled)
	h.mu.Unlock()
	if n == 2 {
		close(h.blocking)
		<-ctx.Done()
		return ctx.Err()
	}
	return nil
}

func (h *cancelledHandler) Sync(context.Context) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.synced++
	return nil
}

func (h *cancelledHandler) Reset() {}

// TestPipelinedShutdownCommitsIntegration: when the member stops while a
// flush is loading, the final flush completes the flush taken before it
// and retries the interrupted one, so both are committed and the next
// member of the group starts after them.
func TestPipelinedShutdownCommitsIntegration(t *testing.T) {
	k := itest.Kafka(t)
	w := &kafka.Writer{Addr: kafka.TCP(k.Addr()), Topic: "cem.events", Balancer: &kafka.Hash{}, BatchSize: 1, BatchTimeout: time.Millisecond}
	t.Cleanup(func() { _ = w.Close() })
	write := func(v string) {
		require.NoError(t, w.WriteMessages(context.Background(), kafka.Message{Key: []byte("one-key"), Value: []byte(v)}))
	}
	cfg := ingest.Config{
		Brokers: []string{k.Addr()}, Topic: "cem.events", Group: "pipelined-shutdown", FlushRows: 1, FlushInterval: time.Hour,
		MaxWait: 50 * time.Millisecond, FinalFlushTimeout: 5 * time.Second, SessionTimeout: 6 * time.Second, RebalanceTimeout: 6 * time.Second,
	}
	write("a")
	write("b")
	h := &cancelledHandler{blocking: make(chan struct{})}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- ingest.New(cfg, h, ingest.NewMetrics(prometheus.NewRegistry()), slog.New(slog.DiscardHandler)).Run(ctx)
	}()
	<-h.blocking // flush "a" is taken, flush "b" is loading
	cancel()
	require.NoError(t, <-done)
	assert.Equal(t, [][]string{{"a"}, {"b"}, {"b"}}, h.handled, "the interrupted flush is retried by the final flush")
	assert.Equal(t, 2, h.synced, "both flushes were completed")

	write("c")
	next := &valueRecorder{}
	runUntilCleanup(t, ingest.New(cfg, next, ingest.NewMetrics(prometheus.NewRegistry()), slog.New(slog.DiscardHandler)))
	itest.Eventually(t, 20*time.Second, func() bool { return next.seen("c") }, "the next member gets the new record")
	assert.Equal(t, []string{"c"}, next.values(), "and nothing committed before it")
}

// valueRecorder records the values it handles.
type valueRecorder struct {
	mu   sync.Mutex
	vals []string
}

func (r *valueRecorder) Handle(_ context.Context, msgs []record.Record) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, m := range msgs {
		r.vals = append(r.vals, string(m.Value))
	}
	return nil
}

func (r *valueRecorder) Reset() {}

func (r *valueRecorder) seen(v string) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Contains(r.vals, v)
}

func (r *valueRecorder) values() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.vals)
}
