package app_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cemhq/cem/pkg/devkafka"
	"github.com/cemhq/cem/pkg/itest"
)

// TestReadinessIntegration: /readyz tells the truth about Kafka. With one
// partition and two processors, only the member that owns it is ready;
// with the broker gone, neither is; when it is back, the owner is again.
func TestReadinessIntegration(t *testing.T) {
	conn, chAddr, db := itest.ClickHouse(t)
	dir := t.TempDir()
	k, err := devkafka.Start(devkafka.Config{Addr: "127.0.0.1:0", DataDir: dir, Partitions: 1})
	require.NoError(t, err)
	t.Cleanup(k.Close)
	e := newEnvWith(t, conn, chAddr, db, k.Addr())
	cfg := e.config("cem-processor")
	cfg.Processor.ProbeInterval = 200 * time.Millisecond
	p1, p2 := e.start(cfg), e.start(cfg)
	ready := func() (n int) {
		for _, p := range []*proc{p1, p2} {
			if readyz(t, p.admin) == http.StatusOK {
				n++
			}
		}
		return n
	}
	itest.Eventually(t, 30*time.Second, func() bool { return ready() == 1 }, "the partition's owner ready")
	time.Sleep(time.Second) // the idle member must stay unready: it owns nothing
	assert.Equal(t, 1, ready(), "a member without partitions is not ready")

	k.Close()
	itest.Eventually(t, 20*time.Second, func() bool { return ready() == 0 }, "nobody ready while Kafka is down")

	k2, err := devkafka.Start(devkafka.Config{Addr: k.Addr(), DataDir: dir, Partitions: 1})
	require.NoError(t, err)
	t.Cleanup(k2.Close)
	itest.Eventually(t, 60*time.Second, func() bool { return ready() == 1 }, "ready again once Kafka is back")
}

// TestLagGrowsWhileClickHouseDownIntegration: while ClickHouse is down the
// flush is stuck and the partition readers stop after their prefetch, yet
// the consumer lag keeps counting every record produced since (the probe
// asks the broker), and nothing is committed.
func TestLagGrowsWhileClickHouseDownIntegration(t *testing.T) {
	e := newEnv(t)
	px := newProxy(t, e.chAddr)
	cfg := e.config("cem-processor")
	cfg.ClickHouse.Addr = px.ln.Addr().String()
	cfg.Processor.FlushRows = 200 // the readers' prefetch is then 1024 records
	cfg.Processor.ProbeInterval = 200 * time.Millisecond
	p := e.start(cfg)
	evs := workload(newEvb("web"), 50, 80) // 4,000 events
	e.produce(evs[:100]...)
	e.waitEvents(100)
	itest.Eventually(t, 10*time.Second, func() bool { return e.committed("cem-processor") == 100 }, "first flushes committed")

	px.setDown(true)
	lag := func() (sum float64) {
		for p2 := range 6 {
			sum += metric(t, p.reg, "cem_processor_consumer_lag", string(rune('0'+p2)))
		}
		return sum
	}
	e.produce(evs[100:2000]...)
	itest.Eventually(t, 20*time.Second, func() bool { return lag() == 1900 }, "lag counts the first records produced while down")
	e.produce(evs[2000:]...)
	itest.Eventually(t, 20*time.Second, func() bool { return lag() == float64(len(evs)-100) }, "lag keeps growing beyond the prefetch")
	assert.Equal(t, int64(100), e.committed("cem-processor"), "nothing committed while down")
	assert.Equal(t, http.StatusServiceUnavailable, readyz(t, p.admin))

	px.setDown(false)
	e.waitEvents(uint64(len(evs)))
	itest.Eventually(t, 30*time.Second, func() bool { return lag() == 0 }, "lag back to 0")
	assert.Equal(t, uint64(len(evs)), e.count("SELECT sum(event_count) FROM {db}.sessions FINAL"))
}

// TestPermanentErrorStopsIntegration: an insert ClickHouse rejects as such
// (here: its table was dropped) is not retried for ever; the processor
// stops with the error, having committed nothing of that flush.
func TestPermanentErrorStopsIntegration(t *testing.T) {
	e := newEnv(t)
	p := e.start(e.config("cem-processor"))
	evs := workload(newEvb("web"), 5, 4)
	e.produce(evs[:10]...)
	e.waitEvents(10)
	itest.Eventually(t, 10*time.Second, func() bool { return e.committed("cem-processor") == 10 }, "first flush committed")

	require.NoError(t, e.conn.Exec(context.Background(), e.sql("DROP TABLE {db}.sessions")))
	e.produce(evs[10:]...)
	select {
	case err := <-p.done:
		require.Error(t, err)
		assert.Contains(t, err.Error(), "sessions")
		p.once.Do(func() {}) // already stopped
	case <-time.After(30 * time.Second):
		t.Fatal("the processor kept retrying a statement that cannot succeed")
	}
	assert.Equal(t, int64(10), e.committed("cem-processor"), "nothing of the failed flush committed")
}
