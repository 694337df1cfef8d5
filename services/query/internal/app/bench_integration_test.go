package app_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net/http"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/cemhq/cem/services/query/internal/funnel"
)

// TestBenchmarkQueriesIntegration generates CEM_QUERY_BENCH_EVENTS events
// (e.g. 10000000) for one million customer keys, half of them linked to a
// user id, inside ClickHouse, then reports p50/p99 latency of the main
// endpoints through the HTTP API. Skipped unless the variable is set.
func TestBenchmarkQueriesIntegration(t *testing.T) {
	n, _ := strconv.Atoi(os.Getenv("CEM_QUERY_BENCH_EVENTS"))
	if n <= 0 {
		t.Skip("set CEM_QUERY_BENCH_EVENTS=10000000 to run the query benchmark")
	}
	e := newEnv(t)
	ctx := context.Background()
	keys := max(2, n/10)
	start := time.Now()
	require.NoError(t, e.conn.Exec(ctx, fmt.Sprintf(`INSERT INTO %s.events (event_id, message_id, source, type, event, customer_key, customer_id,
 anonymous_id, session_id, channel, touchpoint, timestamp, ts_ms, properties, score, ticket_id, ticket_channel, version)
SELECT concat('b:', toString(number)) AS id, id, 'web',
 if(k = 1, 'page', 'track') AS type,
 arrayElement(['', 'Product Viewed', 'Product Viewed', 'Cart Viewed', 'Checkout Started', 'Order Completed', 'NPS Submitted', 'Ticket Opened', 'Ticket Replied', 'Ticket Resolved'], k) AS ev,
 concat('k', toString(number %% %d)) AS key, key, key, concat(key, '-', toString(intDiv(t, 86400000))),
 arrayElement(['web', 'app', 'email', 'phone', 'store'], number %% 5 + 1),
 arrayElement(['checkout', 'delivery', 'support_call', 'newsletter'], number %% 4 + 1),
 toDateTime(intDiv(t, 1000)), t, '{"plan":"pro"}',
 if(ev = 'NPS Submitted', toNullable(toFloat64(number %% 11)), NULL),
 if(k >= 8, concat('T', toString(number %% %d)), ''), if(k >= 8, arrayElement(['phone', 'email', 'chat'], number %% 3 + 1), ''), 1
FROM (SELECT number, intHash32(number) %% 10 + 1 AS k,
 toInt64(1767225600000) + toInt64(intHash64(number) %% (90 * 86400)) * 1000 AS t FROM system.numbers LIMIT %d)`,
		e.db, keys, keys/3, n)))
	require.NoError(t, e.conn.Exec(ctx, fmt.Sprintf(`INSERT INTO %s.identities (id, customer_id, linked_at, cause, source_message_id, version)
SELECT concat('k', toString(number)), concat('u', toString(intDiv(number, 2))), now(), 'identify', '', 1 FROM system.numbers LIMIT %d`, e.db, keys)))
	require.NoError(t, e.conn.Exec(ctx, fmt.Sprintf(`INSERT INTO %s.customer_ids (customer_id, id, deleted, version)
SELECT concat('u', toString(intDiv(number, 2))), concat('k', toString(number)), 0, 1 FROM system.numbers LIMIT %d`, e.db, keys)))
	require.NoError(t, e.conn.Exec(ctx, fmt.Sprintf(`INSERT INTO %s.customer_scores (customer_id, computed_at, computed_ms, health, churn_risk,
 churn_reasons, sleeper_at_ms, lifecycle, rfm_segment, loyalty_stage, nps_latest, version)
SELECT concat('u', toString(number)), now(), toInt64(toUInt32(now())) * 1000, toFloat64(number %% 101),
 arrayElement(['low', 'medium', 'high'], number %% 3 + 1), ['no activity for 45 days, usual rhythm 7 days'],
 if(number %% 7 = 0, toInt64(1767225600000), toInt64(0)), 'returning', arrayElement(['champions', 'loyal', 'at_risk', 'hibernating'], number %% 4 + 1),
 arrayElement(['unbound', 'satisfied', 'enthusiastic', 'advocate'], number %% 4 + 1), toNullable(toFloat64(number %% 11)), 1
FROM system.numbers LIMIT %d`, e.db, keys/2)))
	t.Logf("generated %d events for %d keys in %s", n, keys, time.Since(start).Round(time.Millisecond))

	rng := rand.New(rand.NewPCG(1, 2))
	fun := funnel.Request{WindowSeconds: 7 * 86400, Steps: []funnel.Step{
		{Event: "Product Viewed"}, {Event: "Cart Viewed"}, {Event: "Checkout Started"}, {Event: "Order Completed"}}}
	cases := []struct {
		name string
		runs int
		call func() (string, string, any)
	}{
		{"timeline (one customer, 100 events)", 50, func() (string, string, any) {
			return "GET", fmt.Sprintf("/api/v1/customers/u%d/timeline?limit=100", rng.IntN(keys/2)), nil
		}},
		{"profile", 20, func() (string, string, any) { return "GET", fmt.Sprintf("/api/v1/customers/k%d", rng.IntN(keys)), nil }},
		{"funnel 4 steps", 7, func() (string, string, any) { return "POST", "/api/v1/funnels", fun }},
		{"funnel 4 steps by channel", 5, func() (string, string, any) {
			f := fun
			f.Breakdown = "channel"
			return "POST", "/api/v1/funnels", f
		}},
		{"retention weekly", 7, func() (string, string, any) { return "GET", "/api/v1/retention?grain=week&periods=12", nil }},
		{"paths depth 3", 5, func() (string, string, any) {
			return "GET", "/api/v1/paths?anchor=Checkout%20Started&depth=3", nil
		}},
		{"nps by channel", 7, func() (string, string, any) { return "GET", "/api/v1/experience?metric=nps&by=channel", nil }},
		{"service levels", 5, func() (string, string, any) { return "GET", "/api/v1/service", nil }},
		{"segment churn_risk_high (page of 100)", 20, func() (string, string, any) {
			return "GET", fmt.Sprintf("/api/v1/segments/churn_risk_high?limit=100&after=u%d", rng.IntN(keys/2)), nil
		}},
		{"segment sleepers (page of 100)", 10, func() (string, string, any) {
			return "GET", "/api/v1/segments/sleepers?limit=100", nil
		}},
	}
	only := os.Getenv("CEM_QUERY_BENCH_ONLY") // substring of case names
	for _, c := range cases {
		if only != "" && !strings.Contains(c.name, only) {
			continue
		}
		var ds []time.Duration
		failed := map[int]int{}
		for range c.runs {
			m, p, body := c.call()
			t0 := time.Now()
			code, b := e.do(m, p, body)
			ds = append(ds, time.Since(t0))
			if code != http.StatusOK {
				failed[code]++
				t.Logf("%s: %d %.200s", c.name, code, b)
			}
		}
		slices.Sort(ds)
		p99 := ds[min(len(ds)-1, int(float64(len(ds))*0.99))]
		t.Logf("%-38s runs=%3d p50=%8s p99=%8s failed=%v", c.name, c.runs, ds[len(ds)/2].Round(time.Millisecond), p99.Round(time.Millisecond), failed)
	}
}
