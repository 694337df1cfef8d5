package app_test

import (
	"context"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cemhq/cem/pkg/eventsql"
	"github.com/cemhq/cem/services/query/internal/funnel"
)

// copyRow is one stored copy of a generated event.
type copyRow struct {
	ev
	// Ms is the copy's skew-corrected time; RecvMs its receive time.
	Ms, RecvMs int64
	Bot        bool
	// CustomerID is the canonical customer the processor stored with it.
	CustomerID string
	Version    uint64
}

// insertCopies writes rows into events as one insert (one part).
func insertCopies(t *testing.T, conn driver.Conn, db string, rows []copyRow) {
	t.Helper()
	ctx := context.Background()
	b, err := conn.PrepareBatch(ctx, "INSERT INTO "+db+`.events (event_id, message_id, source, type, event, name, customer_key, customer_id,
 anonymous_id, user_id, session_id, channel, touchpoint, timestamp, ts_ms, received_at, received_ms, properties, traits, score,
 ticket_id, ticket_channel, campaign_name, is_bot, signal, signal_weight, version)`)
	require.NoError(t, err)
	for _, r := range rows {
		e := r.ev
		signal, weight := "", 0.0
		if e.Score != nil {
			signal, weight = "survey", (*e.Score-7)/3
		}
		ts, recv := time.UnixMilli(r.Ms).UTC(), time.UnixMilli(r.RecvMs).UTC()
		require.NoError(t, b.Append(e.ID, e.ID, e.Source, e.Type, e.Event, "", e.Key, r.CustomerID, e.Anon, e.User, e.Session+"-copy", e.Channel,
			e.Touchpoint, ts, r.Ms, recv, r.RecvMs, js(e.Props), js(e.Traits), e.Score, e.TicketID, e.TicketChannel, e.Campaign,
			uint8(boolInt(r.Bot)), signal, weight, r.Version))
	}
	require.NoError(t, b.Send())
}

// TestCopiesIntegration: the funnel and retention answers on a table that
// holds several unmerged copies of events are those of the deduplicated
// data. The copies are what re-sends leave (docs/operations.md, "Event
// identity"), each written by its own insert with merges stopped: a re-send
// with a new sentAt (received 2 s later, its skew-corrected time 1.5 s
// earlier, not flagged as a bot where the first copy was), the same body
// re-sent after 20 minutes (its time 20 minutes later) and a Kafka replay
// (an exact copy, same version, stored with another customer_id as after an
// identity merge). The later deliveries lose (lower version), so the answers
// must not change: a read without FINAL would see an earlier first step,
// steps moved across the window or the range, bot events and broken strict
// adjacency. A count of events through eventsql.Query.Copies does see the
// copies; uniqExact(event_id) does not.
func TestCopiesIntegration(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	d := generate(23, 300)
	for i := range d.Events {
		d.Events[i].Bot = i%29 == 7
	}
	d.load(t, e.conn, e.db)
	events := e.db + ".events"
	require.NoError(t, e.conn.Exec(ctx, "OPTIMIZE TABLE "+events+" FINAL"))
	count := func(q string) uint64 {
		t.Helper()
		var n uint64
		require.NoError(t, e.conn.QueryRow(ctx, q).Scan(&n), q)
		return n
	}
	n := uint64(len(d.Events))
	require.Equal(t, n, count("SELECT count() FROM "+events), "the base is one row per event")

	day := int64(24 * 3600 * 1000)
	from, to := d.base.UnixMilli()+14*day, d.base.UnixMilli()+42*day
	steps := func(where ...funnel.Filter) []funnel.Step {
		var out []funnel.Step
		for _, s := range funnelSteps {
			out = append(out, funnel.Step{Event: s})
		}
		out[0].Where = where
		return out
	}
	type query struct {
		name, method, path string
		body               any
	}
	queries := []query{
		{"funnel", http.MethodPost, "/api/v1/funnels", funnel.Request{Steps: steps(), WindowSeconds: 3600, Breakdown: "channel",
			Dropoff: &funnel.DropoffRequest{Step: 1, Limit: 1000}}},
		{"strict funnel", http.MethodPost, "/api/v1/funnels", funnel.Request{Steps: steps(), WindowSeconds: 3600, Strict: true,
			Breakdown: "channel", Dropoff: &funnel.DropoffRequest{Step: 1, Limit: 1000}}},
		{"funnel in a range", http.MethodPost, "/api/v1/funnels", funnel.Request{Steps: steps(funnel.Filter{Property: "plan", Op: "eq", Value: "pro"}),
			WindowSeconds: 86400, FromMs: from, ToMs: to, Breakdown: "source"}},
		{"strict funnel in a range", http.MethodPost, "/api/v1/funnels", funnel.Request{Steps: steps(), WindowSeconds: 86400, Strict: true,
			FromMs: from, ToMs: to}},
		{"retention", http.MethodGet, "/api/v1/retention?cohort=first_seen&grain=week&periods=8", nil},
		{"order retention", http.MethodGet, "/api/v1/retention?cohort=first_order&grain=day&periods=30&event=Order+Completed", nil},
		{"retention in a range", http.MethodGet, fmt.Sprintf("/api/v1/retention?cohort=first_seen&grain=day&periods=20&from=%d&to=%d", from, to), nil},
	}
	answers := func() map[string]string {
		out := map[string]string{}
		for _, q := range queries {
			code, b := e.do(q.method, q.path, q.body)
			require.Equal(t, http.StatusOK, code, "%s: %s", q.name, b)
			out[q.name] = string(b)
		}
		return out
	}
	before := answers()
	var base funnel.Result
	e.json(http.MethodPost, "/api/v1/funnels", queries[0].body, &base)
	want := expectFunnel(d, funnelSteps, 3600)
	for k, s := range base.Steps {
		require.Equal(t, want.counts[k], s.Customers, "the deduplicated data's funnel, step %d", k+1)
	}
	require.Positive(t, want.counts[2], "the dataset must have conversions")

	require.NoError(t, e.conn.Exec(ctx, "SYSTEM STOP MERGES "+events))
	version := func(i int) uint64 { return uint64(1 + boolInt(i%10 == 0)) } // d.load's winning version
	var resent, late, replayed []copyRow
	for i, ev := range d.Events {
		if i%3 == 0 {
			resent = append(resent, copyRow{ev: ev, Ms: ev.Ms - 1500, RecvMs: ev.Ms + 2000, CustomerID: ev.Key, Version: 0})
		}
		if i%4 == 1 || ev.Bot {
			late = append(late, copyRow{ev: ev, Ms: ev.Ms + 20*60*1000, RecvMs: ev.Ms + 20*60*1000, CustomerID: ev.Key, Version: 0})
		}
		if i%5 == 0 || ev.Bot {
			replayed = append(replayed, copyRow{ev: ev, Ms: ev.Ms, RecvMs: ev.Ms, Bot: ev.Bot, CustomerID: "merged-" + ev.Key, Version: version(i)})
		}
	}
	for _, rows := range [][]copyRow{resent, late, replayed} {
		insertCopies(t, e.conn, e.db, rows)
	}
	copies := uint64(len(resent) + len(late) + len(replayed))
	parts := fmt.Sprintf("SELECT count() FROM system.parts WHERE database = '%s' AND table = 'events' AND active", e.db)
	require.GreaterOrEqual(t, count(parts), uint64(4), "the copies are in parts of their own")
	require.Equal(t, n+copies, count("SELECT count() FROM "+events), "the copies are stored, unmerged")

	// A read without FINAL sees every copy: a count of events through it
	// is wrong, uniqExact(event_id) is not; with FINAL, one row per event.
	assert.Equal(t, n+copies, count("SELECT count() FROM "+eventsql.Source(e.db, eventsql.Query{Copies: true})), "count() counts copies")
	assert.Equal(t, n, count("SELECT uniqExact(event_id) FROM "+eventsql.Source(e.db, eventsql.Query{Copies: true})))
	assert.Equal(t, n, count("SELECT count() FROM "+eventsql.Source(e.db, eventsql.Query{})))

	// The copies differ where the answers look: earlier times than their
	// winners' and non-bot copies of bot events.
	assert.Positive(t, count(`SELECT count() FROM (SELECT customer_key, event_id FROM `+events+`
 GROUP BY customer_key, event_id HAVING min(ts_ms) < argMax(ts_ms, version))`), "copies earlier than the winner")
	assert.Positive(t, count(`SELECT count() FROM (SELECT customer_key, event_id FROM `+events+`
 GROUP BY customer_key, event_id HAVING argMax(is_bot, version) = 1 AND min(is_bot) = 0)`), "non-bot copies of bot events")

	after := answers()
	for _, q := range queries {
		assert.JSONEq(t, before[q.name], after[q.name], "%s changed by unmerged copies", q.name)
	}
	require.Equal(t, n+copies, count("SELECT count() FROM "+events), "still unmerged when the answers were read")
}
