package exactlyonce

import (
	"context"
	"encoding/json"
	"net/url"
	"testing"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2"
	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cemhq/cem/pkg/chconn"
	"github.com/cemhq/cem/pkg/itest"
)

// TestResendIntegration: a customer's events are posted, scored and read
// back; then the whole dataset is posted again after a restart of the
// collector and the processor (the collector's dedup set is empty), through
// a second collector instance, and after the dedup window (1 s), each time
// with another sentAt (so another skew-corrected time). Every event is one
// row under FINAL, the profile counts one order, and every query API answer
// and scorer table is what it was before the re-sends; paging the timeline
// one entry at a time never repeats an entry.
func TestResendIntegration(t *testing.T) {
	itest.EachLayout(t, func(t *testing.T, conn driver.Conn, cfg chconn.Config) {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
		defer cancel()
		s := newStack(t, conn, cfg)
		dedup := map[string]string{"CEM_DEDUP_WINDOW": "1s"}
		s.startCollector(0, dedup)

		run := itest.DatabaseName(t.Name())
		anon, user := "anon-"+run, "user-"+run
		at := time.Now().UTC().Add(-2 * time.Hour)
		ts := func(m int) string { return at.Add(time.Duration(m) * time.Minute).Format(time.RFC3339Nano) }
		batch := []map[string]any{
			{"type": "page", "anonymousId": anon, "name": "Home", "messageId": run + "-1", "timestamp": ts(0)},
			{"type": "track", "anonymousId": anon, "event": "Product Viewed", "messageId": run + "-2", "timestamp": ts(1), "properties": map[string]any{"product_id": "p1"}},
			{"type": "identify", "anonymousId": anon, "userId": user, "messageId": run + "-3", "timestamp": ts(2), "traits": map[string]any{"email": user + "@example.com"}},
			{"type": "track", "anonymousId": anon, "userId": user, "event": "Order Completed", "messageId": run + "-4", "timestamp": ts(3),
				"properties": map[string]any{"order_id": "o-" + run, "revenue": 50, "currency": "EUR"}},
			{"type": "track", "anonymousId": anon, "userId": user, "event": "NPS Submitted", "messageId": run + "-5", "timestamp": ts(4), "properties": map[string]any{"score": 9}},
		}
		ids := clickhouse.GroupSet{}
		for _, e := range batch {
			ids.Value = append(ids.Value, "web:"+e["messageId"].(string))
		}
		n := uint64(len(batch))
		written := func() float64 { return metric(s.admin+"/metrics", `cem_processor_rows_written_total{table="events"}`) }
		code, a := s.post(ctx, 0, batch, time.Now())
		require.Equal(t, 200, code)
		require.Equal(t, len(batch), a.Accepted)
		itest.Eventually(t, time.Minute, func() bool { return s.count("SELECT count() FROM %[1]s.events FINAL WHERE event_id IN ?", ids) == n }, "events stored")
		s.rescored()
		before := s.snapshot(user)
		require.Equal(t, uint64(1), s.count("SELECT orders FROM %[1]s.customer_profiles FINAL WHERE customer_id = ?", user))

		// The whole dataset again after a restart of collector and processor.
		require.NoError(t, s.colls[0].Stop(time.Minute))
		require.NoError(t, s.proc.Stop(time.Minute))
		s.restartProcessor()
		s.startCollector(0, dedup)
		code, a = s.post(ctx, 0, batch, time.Now().Add(3*time.Second))
		require.Equal(t, 200, code)
		assert.Equal(t, len(batch), a.Accepted, "a restarted collector does not know the ids")
		// Through a second collector instance.
		s.startCollector(1, dedup)
		code, a = s.post(ctx, 1, batch, time.Now().Add(-4*time.Second))
		require.Equal(t, 200, code)
		assert.Equal(t, len(batch), a.Accepted, "a second instance does not know the ids")
		// After the dedup window.
		itest.Eventually(t, 30*time.Second, func() bool {
			code, a := s.post(ctx, 0, batch, time.Now().Add(7*time.Second))
			return code == 200 && a.Accepted == len(batch)
		}, "accepted again after the dedup window")

		itest.Eventually(t, time.Minute, func() bool { return written() >= float64(3*n) }, "the processor wrote every copy")
		assert.Equal(t, n, s.count("SELECT count() FROM %[1]s.events FINAL WHERE event_id IN ?", ids), "one row per event id")
		s.rescored()
		after := s.snapshot(user)
		assert.Equal(t, uint64(1), s.count("SELECT orders FROM %[1]s.customer_profiles FINAL WHERE customer_id = ?", user), "one order")
		for k, v := range before {
			assert.JSONEq(t, v, after[k], "%s changed by the re-sends", k)
		}
	})
}

// restartProcessor starts a new processor on the same admin address.
func (s *stack) restartProcessor() {
	s.proc = itest.Start(s.t, itest.BuildService(s.t, "processor"), s.env(map[string]string{
		"CEM_PROCESSOR_ADMIN_ADDR": s.admin[len("http://"):], "CEM_PROCESSOR_FLUSH_INTERVAL": "200ms", "CEM_SCORES_INTERVAL": "1s",
	}))
	itest.Eventually(s.t, 2*time.Minute, func() bool { return itest.Ready(s.admin + "/readyz") }, "processor ready again")
}

// snapshot returns what a CX user and the scorer tables show about user:
// the profile, every timeline page (one entry per page), a funnel, the
// retention matrix, NPS by channel, and the stable columns of the scorer's
// rows, each as JSON.
func (s *stack) snapshot(user string) map[string]string {
	s.t.Helper()
	out := map[string]string{}
	var profile map[string]any
	require.NoError(s.t, json.Unmarshal(s.get("/customers/"+url.PathEscape(user), nil), &profile))
	delete(profile, "extensions") // the scorer's view, compared from its tables below
	out["profile"] = jsonOf(s.t, profile)

	var pages []any
	seen := map[string]bool{}
	cursor := ""
	for range 50 {
		q := url.Values{"limit": {"1"}}
		if cursor != "" {
			q.Set("cursor", cursor)
		}
		var page struct {
			Sessions []struct {
				Events []struct {
					EventID string `json:"event_id"`
				} `json:"events"`
			} `json:"sessions"`
			NextCursor string `json:"next_cursor"`
		}
		body := s.get("/customers/"+url.PathEscape(user)+"/timeline", q)
		require.NoError(s.t, json.Unmarshal(body, &page))
		for _, g := range page.Sessions {
			for _, e := range g.Events {
				require.False(s.t, seen[e.EventID], "timeline entry %s repeated on a later page", e.EventID)
				seen[e.EventID] = true
			}
		}
		var raw any
		require.NoError(s.t, json.Unmarshal(body, &raw))
		pages = append(pages, raw)
		if cursor = page.NextCursor; cursor == "" {
			break
		}
	}
	require.Empty(s.t, cursor, "the timeline ends")
	out["timeline"] = jsonOf(s.t, pages)
	out["funnel"] = string(s.postQuery("/funnels", `{"steps":[{"event":"Product Viewed"},{"event":"Order Completed"}],"window_seconds":86400}`))
	out["retention"] = string(s.get("/retention", url.Values{"cohort": {"first_seen"}, "grain": {"day"}, "periods": {"3"}}))
	out["experience"] = string(s.get("/experience", url.Values{"metric": {"nps"}, "by": {"channel"}, "min_n": {"1"}}))
	out["customer_profiles"] = s.rowJSON(`SELECT ids, first_seen_ms, last_seen_ms, events, sessions, orders, revenue, avg_order_value,
 last_order_ms, surveys_answered, nps_latest FROM %[1]s.customer_profiles FINAL WHERE customer_id = ?`, user)
	out["customer_scores"] = s.rowJSON(`SELECT experience, experience_signals, experience_top, health, churn_risk, churn_reasons, sleeper,
 active_days, last_activity_ms, last_order_ms, lifecycle, rfm_f, rfm_m, rfm_segment, value_tier, loyalty_stage, loyalty_evidence, nps_latest
 FROM %[1]s.customer_scores FINAL WHERE customer_id = ?`, user)
	out["alerts"] = s.rowJSON(`SELECT groupArray(alert_id) FROM (SELECT alert_id FROM %[1]s.alerts FINAL WHERE customer_id = ? ORDER BY alert_id)`, user)
	return out
}
