package exactlyonce

import (
	"context"
	"fmt"
	"net/http"
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

// TestClientDisconnectIntegration: while the broker is frozen a client
// gives up after 1 s and closes its connection; the broker thaws, the
// collector's write goes through and it records the ids, so the client's
// retry is answered as duplicates and Kafka holds one copy of each event.
func TestClientDisconnectIntegration(t *testing.T) {
	itest.EachLayout(t, func(t *testing.T, conn driver.Conn, cfg chconn.Config) {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
		defer cancel()
		s := newStack(t, conn, cfg)
		s.startCollector(0, nil)
		run := itest.DatabaseName(t.Name())
		batch := make([]map[string]any, 5)
		ids := clickhouse.GroupSet{}
		for i := range batch {
			mid := fmt.Sprintf("%s-%d", run, i)
			batch[i] = map[string]any{"type": "track", "userId": "u-" + run, "event": "Clicked", "messageId": mid,
				"timestamp": time.Now().UTC().Format(time.RFC3339Nano)}
			ids.Value = append(ids.Value, "web:"+mid)
		}
		accepted := func() float64 {
			return metric(s.collURLs[0]+"/metrics", `cem_collector_events_total{outcome="accepted",source="web",type="track"}`)
		}

		require.NoError(t, s.broker.Signal(syscall.SIGSTOP))
		impatient, cancelPost := context.WithTimeout(ctx, time.Second)
		code, _ := s.post(impatient, 0, batch, time.Now())
		cancelPost()
		assert.Zero(t, code, "the client gave up before an answer")
		require.NoError(t, s.broker.Signal(syscall.SIGCONT))
		itest.Eventually(t, time.Minute, func() bool { return accepted() == float64(len(batch)) },
			"the write the client left completes and is counted as stored")

		code, a := s.post(ctx, 0, batch, time.Now())
		require.Equal(t, http.StatusOK, code)
		assert.Equal(t, len(batch), a.Duplicates, "the retry is recognised")
		assert.Zero(t, a.Accepted)
		assert.Equal(t, float64(len(batch)), accepted(), "nothing produced twice")
		n := uint64(len(batch))
		itest.Eventually(t, time.Minute, func() bool {
			return s.count("SELECT count() FROM %[1]s.events FINAL WHERE event_id IN ?", ids) == n
		}, "events stored")
		assert.Equal(t, n, s.count("SELECT count() FROM %[1]s.events WHERE event_id IN ?", ids), "one copy of each reached ClickHouse")
	})
}
