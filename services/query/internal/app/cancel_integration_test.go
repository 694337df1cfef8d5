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

// stopped asserts that every query of the test's database ends within 3 s
// of after (uncancelled, these queries run for 6-10 s on this data; with
// the kill they end 0.01-1.3 s after the answer on 18.16 here, the longer
// ones while ClickHouse cannot cancel yet and the kill is repeated).
func (e *env) stopped(t *testing.T, after string) {
	t.Helper()
	at := time.Now()
	itest.Eventually(t, 3*time.Second, func() bool { return e.running() == 0 }, "no query running 3 s after "+after)
	t.Logf("server idle %s after %s", time.Since(at).Round(time.Millisecond), after)
}

// A request that times out, or whose client goes away, ends its ClickHouse
// query too (clickhouse-go sends Cancel when the request's context ends):
// no query of the request keeps running on the server. Uncancelled, each of
// these queries runs for several seconds on this data.
func TestEndedRequestCancelsQueryIntegration(t *testing.T) {
	e := newEnv(t)
	e.generateEvents(1_000_000, 100_000)
	// A settled table, as in production (ClickHouse 18.16 cannot cancel a
	// query while it prepares a FINAL read over many fresh parts; the
	// service repeats the kill until it can).
	require.NoError(t, e.conn.Exec(context.Background(), "OPTIMIZE TABLE "+e.db+".events FINAL"))
	short := startEnv(t, e.conn, chconn.Config{Database: e.db}, func(c *app.Config) { c.Query.Timeout = 1500 * time.Millisecond })
	for _, path := range []string{"/api/v1/paths?anchor=Home&from=0&depth=5", "/api/v1/experience/journeys?from=0&depth=5"} {
		t.Run("timeout "+path, func(t *testing.T) {
			code, body := short.do("GET", path, nil)
			require.Equal(t, http.StatusGatewayTimeout, code, string(body))
			e.stopped(t, "the 504")
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
			itest.Eventually(t, 5*time.Second, func() bool { return e.running() > 0 }, "the query runs")
			cancel() // the client goes away
			require.Error(t, <-done)
			e.stopped(t, "the client went away")
		})
	}
}
