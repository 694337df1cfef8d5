package exactlyonce

import (
	"context"
	"fmt"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2"
	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cemhq/cem/pkg/chconn"
	"github.com/cemhq/cem/pkg/itest"
)

// TestBrokerFaultsIntegration: clients that retry every non-2xx (and every
// transport error) with the same messageIds post under load while the dev
// broker is frozen (SIGSTOP, longer than the collector's produce timeout)
// and then killed (kill -9) and restarted on its data directory. Every
// acknowledged event is exactly once in FINAL, nothing else is stored, and
// the sessions count each event once.
func TestBrokerFaultsIntegration(t *testing.T) {
	itest.EachLayout(t, func(t *testing.T, conn driver.Conn, cfg chconn.Config) {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
		defer cancel()
		s := newStack(t, conn, cfg)
		s.startCollector(0, map[string]string{"CEM_PRODUCE_TIMEOUT": "2s", "CEM_KAFKA_WRITE_TIMEOUT": "1s"})
		run := itest.DatabaseName(t.Name())

		var (
			mu      sync.Mutex
			acked   []string
			retries int
			stop    = make(chan struct{})
			wg      sync.WaitGroup
		)
		for c := range 4 {
			wg.Go(func() {
				for b := 0; ; b++ {
					select {
					case <-stop:
						return
					default:
					}
					batch := make([]map[string]any, 20)
					ids := make([]string, len(batch))
					for i := range batch {
						mid := fmt.Sprintf("%s-%d-%d-%d", run, c, b, i)
						batch[i] = map[string]any{"type": "track", "userId": fmt.Sprintf("u-%s-%d", run, (c*20+i)%16), "event": "Clicked",
							"messageId": mid, "timestamp": time.Now().UTC().Format(time.RFC3339Nano)}
						ids[i] = "web:" + mid
					}
					for attempt := 0; ; attempt++ { // an SDK: retry every non-2xx with the same ids
						code, _ := s.post(ctx, 0, batch, time.Now())
						if code/100 == 2 {
							break
						}
						if ctx.Err() != nil {
							return
						}
						mu.Lock()
						retries++
						mu.Unlock()
						time.Sleep(100 * time.Millisecond)
					}
					mu.Lock()
					acked = append(acked, ids...)
					mu.Unlock()
				}
			})
		}
		progress := func(n int) {
			t.Helper()
			mu.Lock()
			from := len(acked)
			mu.Unlock()
			itest.Eventually(t, 2*time.Minute, func() bool {
				mu.Lock()
				defer mu.Unlock()
				return len(acked) >= from+n
			}, "clients make progress")
		}
		progress(200)
		require.NoError(t, s.broker.Signal(syscall.SIGSTOP)) // frozen beyond the produce timeout
		time.Sleep(5 * time.Second)                          // the fault's duration, not a wait for a condition
		require.NoError(t, s.broker.Signal(syscall.SIGCONT))
		progress(200)
		s.broker.Kill() // kill -9
		s.startBroker()
		progress(200)
		close(stop)
		wg.Wait()
		require.NoError(t, ctx.Err())

		mu.Lock()
		defer mu.Unlock()
		t.Logf("%d events acknowledged, %d retried requests", len(acked), retries)
		assert.Positive(t, retries, "the faults made clients retry")
		set := clickhouse.GroupSet{}
		for _, id := range acked {
			set.Value = append(set.Value, id)
		}
		want := uint64(len(acked))
		itest.Eventually(t, 3*time.Minute, func() bool {
			return s.count("SELECT count() FROM %[1]s.events FINAL WHERE event_id IN ?", set) == want
		}, "every acknowledged event stored")
		assert.Equal(t, want, s.count("SELECT count() FROM %[1]s.events FINAL"), "each exactly once, nothing else")
		assert.Equal(t, want, s.count("SELECT uniqExact(event_id) FROM %[1]s.events"))
		itest.Eventually(t, time.Minute, func() bool {
			return s.count("SELECT sum(event_count) FROM %[1]s.sessions FINAL") == want
		}, "sessions count every event once")
	})
}
