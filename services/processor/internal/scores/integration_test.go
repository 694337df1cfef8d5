package scores

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/segmentio/kafka-go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cemhq/cem/pkg/alerting"
	"github.com/cemhq/cem/pkg/chmigrate"
	"github.com/cemhq/cem/pkg/itest"
	"github.com/cemhq/cem/services/processor/internal/alertkafka"
	"github.com/cemhq/cem/services/processor/internal/sink"
)

type fakeClock struct{ t time.Time }

func (c *fakeClock) Now() time.Time { return c.t }

// chEnv is a migrated test database with the population's events.
type chEnv struct {
	conn  driver.Conn
	db    string
	store *ClickHouseStore
}

func newCH(t *testing.T) *chEnv {
	t.Helper()
	conn, _, db := itest.ClickHouse(t)
	require.NoError(t, chmigrate.Apply(context.Background(), conn, chmigrate.Options{Database: db}))
	return &chEnv{conn: conn, db: db, store: NewClickHouseStore(conn, db)}
}

// insert writes events and the identity links anon -> customer the way
// the processor does (events keep their raw key and a stale customer_id).
func (e *chEnv) insert(t *testing.T, p *population, evs []genEvent) {
	t.Helper()
	ctx := context.Background()
	b, err := e.conn.PrepareBatch(ctx, `INSERT INTO `+e.db+`.events (event_id, message_id, source, type, event, customer_key, customer_id,
anonymous_id, user_id, session_id, channel, touchpoint, timestamp, ts_ms, received_at, received_ms, properties, traits, score, revenue,
currency, order_id, ticket_id, ticket_channel, contract_id, contract_end_ms, is_bot, version)`)
	require.NoError(t, err)
	for _, ev := range evs {
		require.NoError(t, b.Append(ev.ID, ev.ID, ev.Source, ev.Type, ev.Event, ev.Key, ev.CustomerID, ev.AnonID, ev.UserID, ev.SessionID,
			ev.Channel, ev.Touchpoint, ev.At, ev.At.UnixMilli(), ev.Received, ev.Received.UnixMilli(), ev.Props, ev.Traits, ev.Score,
			ev.Revenue, "EUR", ev.OrderID, ev.TicketID, ev.TicketChannel, ev.ContractID, msOf(ev.ContractEnd), uint8(0), uint64(1)))
	}
	require.NoError(t, b.Send())
	ib, err := e.conn.PrepareBatch(ctx, `INSERT INTO `+e.db+`.identities (id, customer_id, linked_at, cause, source_message_id, version)`)
	require.NoError(t, err)
	for _, c := range p.customers {
		require.NoError(t, ib.Append(c.Anon, c.ID, p.now, "identify", "", uint64(1)))
		require.NoError(t, ib.Append(c.ID, c.ID, p.now, "identify", "", uint64(1)))
	}
	require.NoError(t, ib.Send())
}

func (e *chEnv) scorer(t *testing.T, clock *fakeClock, pub Publisher) *Scorer {
	t.Helper()
	s, err := New(DefaultConfig(), Deps{Store: e.store, Publisher: pub, Now: clock.Now, Metrics: NewMetrics(prometheus.NewRegistry()),
		Log: slog.New(slog.NewTextHandler(io.Discard, nil))})
	require.NoError(t, err)
	return s
}

func (e *chEnv) count(t *testing.T, q string) uint64 {
	t.Helper()
	var n uint64
	require.NoError(t, e.conn.QueryRow(context.Background(), q).Scan(&n))
	return n
}

// stored reads back every customer's Result from customer_scores and
// customer_profiles.
func (e *chEnv) stored(t *testing.T) map[string]*Result {
	t.Helper()
	ctx := context.Background()
	out := map[string]*Result{}
	rows, err := e.conn.Query(ctx, `SELECT s.customer_id, s.result, p.profile FROM `+e.db+`.customer_scores AS s FINAL
ANY INNER JOIN (SELECT customer_id, profile FROM `+e.db+`.customer_profiles FINAL) AS p USING customer_id`)
	require.NoError(t, err)
	defer rows.Close()
	for rows.Next() {
		var id, res, prof string
		require.NoError(t, rows.Scan(&id, &res, &prof))
		var r Result
		require.NoError(t, json.Unmarshal([]byte(res), &r))
		require.NoError(t, json.Unmarshal([]byte(prof), &r.Profile))
		out[id] = &r
	}
	require.NoError(t, rows.Err())
	return out
}

func TestScorerPopulationIntegration(t *testing.T) {
	env := newCH(t)
	broker := itest.Kafka(t)
	ctx := context.Background()
	p := generate(42, genNow)
	env.insert(t, p, p.events)
	require.NoError(t, alertkafka.EnsureTopic(ctx, []string{broker.Addr()}, "cem.alerts", 3))
	pub := alertkafka.NewKafkaPublisher([]string{broker.Addr()}, "cem.alerts", sink.Backoff{}, slog.New(slog.DiscardHandler))
	t.Cleanup(func() { _ = pub.Close() })
	clock := &fakeClock{genNow}
	s := env.scorer(t, clock, pub)

	rep, err := s.RunOnce(ctx)
	require.NoError(t, err)
	assert.Equal(t, len(p.customers), rep.Customers)

	// Classification, read back from ClickHouse.
	stored := env.stored(t)
	require.Len(t, stored, len(p.customers), "anonymous keys are stitched to their customers at read time")
	for _, c := range p.customers {
		r := stored[c.ID]
		require.NotNil(t, r, c.ID)
		assert.Contains(t, r.Profile.IDs, c.Anon, c.ID)
		t.Run(c.ID, func(t *testing.T) { checkArchetype(t, c.Kind, r) })
	}

	// Aggregate satisfaction from the view equals the independent figures.
	want := independentFigures(p, func(e genEvent) string { return e.Channel })
	rows, err := env.conn.Query(ctx, `SELECT channel, kind, sum(n), sum(promoters), sum(detractors), sum(satisfied), sum(score_sum)
FROM `+env.db+`.satisfaction_daily GROUP BY channel, kind`)
	require.NoError(t, err)
	seen := 0
	for rows.Next() {
		var ch, kind string
		var n, pro, det, sat uint64
		var sum float64
		require.NoError(t, rows.Scan(&ch, &kind, &n, &pro, &det, &sat, &sum))
		c := Counts{N: int(n), Promoters: int(pro), Detractors: int(det), Satisfied: int(sat), Sum: sum}
		got := c.Figure(kind, 1)
		require.NotNil(t, got.Value)
		assert.InDelta(t, want[ch][kind], *got.Value, 0.05, "%s %s", ch, kind)
		seen++
	}
	require.NoError(t, rows.Err())
	rows.Close()
	assert.Equal(t, len(want["web"])+len(want["email"])+len(want["app"]), seen)

	// Alerts: one per customer and reason, in ClickHouse and on the topic.
	require.NotEmpty(t, rep.Alerts)
	wantKeys := map[string]bool{}
	for _, a := range rep.Alerts {
		wantKeys[a.CustomerID+" "+a.Reason] = true
	}
	for _, id := range p.ofKind(kindChurner) {
		assert.True(t, wantKeys[id+" "+alerting.ChurnHigh], id)
	}
	n := uint64(len(rep.Alerts))
	assert.Equal(t, n, env.count(t, "SELECT count() FROM "+env.db+".alerts FINAL"))
	assert.Equal(t, n, env.count(t, "SELECT uniqExact(customer_id, reason) FROM "+env.db+".alerts FINAL"))

	clock.t = genNow.Add(2 * time.Hour) // a second run within the cool-down
	rep2, err := s.RunOnce(ctx)
	require.NoError(t, err)
	assert.Empty(t, rep2.Alerts)
	assert.Equal(t, n, env.count(t, "SELECT count() FROM "+env.db+".alerts"))

	onTopic := readTopic(t, broker.Addr(), "cem.alerts", len(rep.Alerts))
	assert.Len(t, onTopic, len(rep.Alerts))
	for key, a := range onTopic {
		assert.True(t, wantKeys[key], key)
		assert.NotEmpty(t, a.Action)
	}
}

// readTopic reads n messages from every partition of topic and returns the
// alerts by customer+reason; it fails on a message key that is not the
// alert's customer.
func readTopic(t *testing.T, addr, topic string, n int) map[string]Alert {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	r := kafka.NewReader(kafka.ReaderConfig{Brokers: []string{addr}, Topic: topic, GroupID: "scores-test", MaxWait: 100 * time.Millisecond,
		StartOffset: kafka.FirstOffset})
	defer r.Close()
	out := map[string]Alert{}
	for len(out) < n {
		m, err := r.FetchMessage(ctx)
		require.NoError(t, err, "read %d of %d alerts", len(out), n)
		var a Alert
		require.NoError(t, json.Unmarshal(m.Value, &a))
		require.Equal(t, a.CustomerID, string(m.Key))
		k := a.CustomerID + " " + a.Reason
		require.NotContains(t, out, k, "one message per customer and reason")
		out[k] = a
	}
	return out
}

func TestSnapshotsIntegration(t *testing.T) {
	env := newCH(t)
	ctx := context.Background()
	p := generate(3, genNow)
	env.insert(t, p, p.events)
	clock := &fakeClock{genNow}
	s := env.scorer(t, clock, nil)

	_, err := s.RunOnce(ctx)
	require.NoError(t, err)
	day1 := "toDate('2025-06-15')"
	snap := func(day string) []string {
		rows, err := env.conn.Query(ctx, `SELECT concat(customer_id, '|', toString(taken_at), '|', toString(health), '|', churn_risk, '|',
lifecycle, '|', toString(sleeper)) FROM `+env.db+`.score_snapshots FINAL WHERE day = `+day+` ORDER BY customer_id`)
		require.NoError(t, err)
		defer rows.Close()
		var out []string
		for rows.Next() {
			var s string
			require.NoError(t, rows.Scan(&s))
			out = append(out, s)
		}
		return out
	}
	first := snap(day1)
	require.Len(t, first, len(p.customers))

	// Later the same day, with a new complaint: the day's row stays.
	var complaint []genEvent
	g := &custGen{p: p, c: p.customers[0], n: 9000}
	g.track(EvComplaint, genNow.Add(time.Hour), nil)
	complaint = append(complaint, p.events[len(p.events)-1])
	env.insert(t, p, complaint)
	clock.t = genNow.Add(3 * time.Hour)
	rep, err := s.RunOnce(ctx)
	require.NoError(t, err)
	assert.Zero(t, rep.Snapshots)

	clock.t = genNow.Add(24 * time.Hour)
	rep, err = s.RunOnce(ctx)
	require.NoError(t, err)
	assert.Equal(t, len(p.customers), rep.Snapshots)
	assert.Len(t, snap("toDate('2025-06-16')"), len(p.customers))

	// Even a racing writer that inserts the same day again loses.
	res := Score(p.facts(genNow), DefaultConfig(), genNow.Add(5*time.Hour))
	require.NoError(t, env.store.Write(ctx, Output{At: genNow.Add(5 * time.Hour), Snapshots: res, Day: genNow.Truncate(24 * time.Hour)}))
	require.NoError(t, env.conn.Exec(ctx, "OPTIMIZE TABLE "+env.db+".score_snapshots FINAL"))
	assert.Equal(t, first, snap(day1), "the first day's snapshots are unchanged")
	assert.Equal(t, uint64(2*len(p.customers)), env.count(t, "SELECT count() FROM "+env.db+".score_snapshots FINAL"))
}

func TestSleeperByClockIntegration(t *testing.T) {
	env := newCH(t)
	ctx := context.Background()
	real := time.Now().UTC().Truncate(time.Second)
	p := &population{now: real}
	c := genCustomer{ID: "u-weekly", Anon: "a-weekly", Kind: kindSleeper}
	p.customers = append(p.customers, c)
	g := &custGen{p: p, c: c, rng: rand.New(rand.NewPCG(1, 2))}
	// Weekly visits, the last one 25 days ago: 3 × 7 = 21 days of silence
	// make a sleeper 4 days ago.
	g.regular(95, 25, 7, 7, -1, 0, 0, 0, 0)
	env.insert(t, p, p.events)
	clock := &fakeClock{real.Add(-10 * 24 * time.Hour)}
	s := env.scorer(t, clock, nil)

	_, err := s.RunOnce(ctx)
	require.NoError(t, err)
	sleeper := func(col, table string) uint64 {
		return env.count(t, "SELECT toUInt64("+col+") FROM "+env.db+"."+table+" WHERE customer_id = 'u-weekly'")
	}
	assert.Zero(t, sleeper("sleeper", "customer_scores FINAL"), "15 days of silence: not yet")
	assert.Equal(t, uint64(1), sleeper("sleeper_now", "customer_current"), "the view evaluates the stored deadline at query time")

	clock.t = real // the scorer's clock passes the threshold; no new event
	_, err = s.RunOnce(ctx)
	require.NoError(t, err)
	assert.Equal(t, uint64(1), sleeper("sleeper", "customer_scores FINAL"))
	reasons := env.count(t, "SELECT toUInt64(has(churn_factors, 'inactivity')) FROM "+env.db+".customer_scores FINAL WHERE customer_id = 'u-weekly'")
	assert.Equal(t, uint64(1), reasons)
}
