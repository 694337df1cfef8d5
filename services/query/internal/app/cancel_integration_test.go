package app_test

import (
	"context"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/cemhq/cem/pkg/chconn"
	"github.com/cemhq/cem/pkg/itest"
	"github.com/cemhq/cem/services/query/internal/app"
)

// generateEvents inserts n events of keys customer keys over 90 days,
// generated inside ClickHouse.
func (e *env) generateEvents(n, keys int) {
	e.t.Helper()
	require.NoError(e.t, e.conn.Exec(context.Background(), fmt.Sprintf(`INSERT INTO %s.events (event_id, message_id, source, type, event,
 customer_key, customer_id, anonymous_id, session_id, channel, timestamp, ts_ms, version)
SELECT concat('g:', toString(number)) AS id, id, 'web', 'track',
 arrayElement(['Product Viewed', 'Cart Viewed', 'Checkout Started', 'Order Completed', 'Home'], intHash32(number) %% 5 + 1),
 concat('k', toString(number %% %d)) AS key, key, key, key, 'web', toDateTime(intDiv(t, 1000)), t, 1
FROM (SELECT number, toInt64(toUInt32(now()) - 90 * 86400) * 1000 + toInt64(intHash64(number) %% (90 * 86400)) * 1000 AS t
 FROM system.numbers LIMIT %d)`, e.db, keys, n)))
}

// running counts the queries over this test's database that ClickHouse is
// still executing (system.processes), other than this probe.
func (e *env) running() uint64 {
	var n uint64
	err := e.conn.QueryRow(context.Background(), `SELECT count() FROM system.processes
WHERE query LIKE ? AND query NOT LIKE '%system.processes%'`, "%"+e.db+".%").Scan(&n)
	require.NoError(e.t, err)
	return n
}

// stopped asserts that every query of the test's database ends within
// bound of after.
func (e *env) stopped(t *testing.T, after string, bound time.Duration) {
	t.Helper()
	at := time.Now()
	itest.Eventually(t, bound, func() bool { return e.running() == 0 }, fmt.Sprintf("no query running %s after %s", bound, after))
	t.Logf("server idle %s after %s", time.Since(at).Round(time.Millisecond), after)
}

// A request that times out, or whose client goes away, ends its ClickHouse
// query too: no query of the request keeps running on the server. The test
// first times each query uncancelled (d), then ends requests at d/4 and
// requires the server to be idle by 3d/4, before the query would have
// finished. Measured on 18.16 here: idle 0.01-1.7 s after the answer on a
// quiet machine; under test.sh's parallel load 18.16 took longer than d/4 to
// reach its next cancellation check (a 9.2 s paths query was still running
// 2.3 s after the 504), so the bound is d/2 after the answer.
func TestEndedRequestCancelsQueryIntegration(t *testing.T) {
	e := newEnv(t)
	e.generateEvents(4_000_000, 400_000)
	for _, path := range []string{"/api/v1/paths?anchor=Home&from=0&depth=8", "/api/v1/experience/journeys?from=0&depth=8"} {
		start := time.Now()
		code, body := e.do("GET", path, nil)
		require.Equal(t, http.StatusOK, code, string(body))
		d := time.Since(start)
		t.Logf("%s uncancelled: %s", path, d.Round(time.Millisecond))
		if d < 2*time.Second {
			t.Skipf("%s takes %s here: too fast to see a cancellation", path, d)
		}
		short := startEnv(t, e.conn, chconn.Config{Database: e.db}, func(c *app.Config) { c.Query.Timeout = d / 4 })
		t.Run("timeout "+path, func(t *testing.T) {
			code, body := short.do("GET", path, nil)
			require.Equal(t, http.StatusGatewayTimeout, code, string(body))
			e.stopped(t, "the 504", d/2)
		})
		t.Run("client gone "+path, func(t *testing.T) {
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			req, err := http.NewRequestWithContext(ctx, "GET", e.srv.URL+path, nil)
			require.NoError(t, err)
			req.Header.Set("Authorization", "Bearer "+testToken)
			done := make(chan error, 1)
			go func() {
				resp, err := http.DefaultClient.Do(req)
				if err == nil {
					_ = resp.Body.Close()
				}
				done <- err
			}()
			itest.Eventually(t, d/4, func() bool { return e.running() > 0 }, "the query runs")
			cancel() // the client goes away
			require.Error(t, <-done)
			e.stopped(t, "the client went away", d/2)
		})
	}
}
