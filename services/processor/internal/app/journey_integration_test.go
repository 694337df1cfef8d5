package app_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cemhq/cem/pkg/events"
	"github.com/cemhq/cem/pkg/itest"
)

type tlRow struct {
	EventID, Type, Name, Session, Channel, Touchpoint, Signal string
	TsMs                                                      int64
}

// timeline reads customer c's timeline with the documented query pattern.
func (e *env) timeline(c string) []tlRow {
	e.t.Helper()
	rows, err := e.conn.Query(context.Background(), e.sql(`
SELECT event_id, type, event, session_id, channel, touchpoint, signal, ts_ms FROM {db}.events FINAL
WHERE customer_key IN (
    SELECT id FROM {db}.customer_ids FINAL WHERE customer_id = ? AND deleted = 0
    UNION ALL SELECT ?)
ORDER BY ts_ms, event_id`), c, c)
	require.NoError(e.t, err)
	defer rows.Close()
	var out []tlRow
	for rows.Next() {
		var r tlRow
		require.NoError(e.t, rows.Scan(&r.EventID, &r.Type, &r.Name, &r.Session, &r.Channel, &r.Touchpoint, &r.Signal, &r.TsMs))
		out = append(out, r)
	}
	require.NoError(e.t, rows.Err())
	return out
}

type sessRow struct {
	ID, Key, Customer, Entry, Exit, Channel, Campaign string
	Start, End                                        int64
	Count                                             uint64
	Converted                                         uint8
}

func (e *env) sessions(key string) []sessRow {
	e.t.Helper()
	rows, err := e.conn.Query(context.Background(), e.sql(`
SELECT session_id, customer_key, customer_id, entry_touchpoint, exit_touchpoint, channel, campaign, start_ms, end_ms, event_count, converted
FROM {db}.sessions FINAL WHERE customer_key = ? ORDER BY start_ms`), key)
	require.NoError(e.t, err)
	defer rows.Close()
	var out []sessRow
	for rows.Next() {
		var r sessRow
		require.NoError(e.t, rows.Scan(&r.ID, &r.Key, &r.Customer, &r.Entry, &r.Exit, &r.Channel, &r.Campaign, &r.Start, &r.End, &r.Count, &r.Converted))
		out = append(out, r)
	}
	require.NoError(e.t, rows.Err())
	return out
}

func props(v any) func(*events.Event) {
	return func(e *events.Event) {
		b, _ := json.Marshal(v)
		e.Properties = b
	}
}

func channel(c string) func(*events.Event) { return func(e *events.Event) { e.Context.Channel = c } }

func named(n string) func(*events.Event) { return func(e *events.Event) { e.Event = n } }

// journey is the scripted journey of one customer across channels: an
// anonymous web visit from a campaign, login (identify), a purchase, a
// support ticket by phone (userId only), an NPS answer by e-mail (keyed by
// the e-mail address) and, later, the CRM's alias linking that address.
func journey(b *evb, anon, user, email string) []*events.Event {
	campaign := func(e *events.Event) { e.Context.Campaign = &events.Campaign{Name: "spring", Source: "news"} }
	page := func(path string) func(*events.Event) {
		return func(e *events.Event) {
			e.Context.Page = &events.PageContext{Path: path, URL: "https://shop.example" + path}
		}
	}
	return []*events.Event{
		b.ev(events.TypePage, anon, "", 0, page("/home"), campaign, channel("web")),
		b.ev(events.TypePage, anon, "", 3, page("/product/42"), channel("web")),
		b.ev(events.TypeIdentify, anon, user, 6, channel("web")),
		b.ev(events.TypeTrack, anon, user, 9, named("Order Completed"), props(map[string]any{"order_id": "o-1", "revenue": 99.5, "currency": "EUR"}), channel("web")),
		b.ev(events.TypeTrack, "", user, 240, named("Ticket Opened"), props(map[string]any{"ticket_id": "t-1", "channel": "phone"}), channel("phone"), func(e *events.Event) { e.Source = "callcenter" }),
		b.ev(events.TypeTrack, "", email, 1400, named("NPS Submitted"), props(map[string]any{"score": 9}), channel("email"), func(e *events.Event) { e.Source = "survey" }),
		b.ev(events.TypeAlias, "", user, 1500, func(e *events.Event) {
			e.PreviousID = email
			e.Source = "crm"
			e.Enrichment.ServerSource = true // a server source may move the survey's user (the e-mail address)
			e.Context.Channel = "support"
		}),
		// A junk userId never links the device to anyone.
		b.ev(events.TypeIdentify, anon+"-other", "guest", 10, channel("web")),
	}
}

func TestJourneyIntegration(t *testing.T) {
	forEachLayout(t, func(t *testing.T, e *env) {
		b := newEvb("web")
		evs := journey(b, "anon-1", "user-1", "jane@example.com")
		// Deliver out of send order within the journey's keys is fine; send as a
		// stream in two halves to cross flushes.
		p := e.start(e.config("cem-processor"))
		e.produce(evs[:4]...)
		e.waitEvents(4)
		e.produce(evs[4:]...)
		e.waitEvents(uint64(len(evs)))
		// Identities are written in the same flush as the events, but
		// concurrently with them, and on the cluster customer_ids reaches
		// the other shard's replica by replication: wait for the last link.
		itest.Eventually(t, 30*time.Second, func() bool { return len(e.timeline("user-1")) == 7 }, "alias applied on every shard")

		tl := e.timeline("user-1")
		var names []string
		for _, r := range tl {
			names = append(names, r.Type+":"+r.Name)
		}
		assert.Equal(t, []string{"page:", "page:", "identify:", "track:Order Completed", "track:Ticket Opened", "track:NPS Submitted", "alias:"}, names,
			"one timeline across devices, channels and ids, in event-time order")
		for i := 1; i < len(tl); i++ {
			assert.LessOrEqual(t, tl[i-1].TsMs, tl[i].TsMs)
		}
		require.Len(t, tl, 7)
		assert.Equal(t, tl[0].Session, tl[3].Session, "the web visit is one session")
		assert.NotEqual(t, tl[3].Session, tl[4].Session)
		assert.Equal(t, "web:/home", tl[0].Touchpoint)
		assert.Equal(t, "order", tl[3].Signal)
		assert.Equal(t, "survey", tl[5].Signal)

		web := e.sessions("anon-1")
		require.Len(t, web, 1)
		assert.Equal(t, sessRow{
			ID: tl[0].Session, Key: "anon-1", Customer: "user-1", Entry: "web:/home", Exit: "web:Order Completed", Channel: "web",
			Campaign: "spring", Start: tl[0].TsMs, End: tl[3].TsMs, Count: 4, Converted: 1,
		}, web[0])
		phone := e.sessions("user-1")
		require.Len(t, phone, 2, "ticket and alias, 21 hours apart")
		assert.Equal(t, "phone", phone[0].Channel)
		assert.Equal(t, uint64(1), phone[0].Count)

		assert.Equal(t, "user-1", e.customerOf("anon-1"))
		assert.Equal(t, "user-1", e.customerOf("jane@example.com"))
		assert.Equal(t, "anon-1-other", e.customerOf("anon-1-other"), "never linked to a junk id")
		assert.Equal(t, "guest", e.customerOf("guest"))
		assert.Equal(t, uint64(2), e.count("SELECT count() FROM {db}.identity_merges FINAL WHERE customer_id = 'user-1'"))
		assert.Equal(t, uint64(1), e.count("SELECT count() FROM {db}.identity_merges FINAL WHERE cause = 'alias'"))

		// A replay of the same offsets (a new group reads from the start) leaves
		// every FINAL result unchanged.
		before, tlBefore := e.snapshot(), e.timeline("user-1")
		p.stop(t)
		e.start(e.config("cem-processor-replay"))
		itest.Eventually(t, 30*time.Second, func() bool {
			return e.count("SELECT count() FROM {db}.events") >= 2*uint64(len(evs))
		}, "replayed rows")
		assert.Equal(t, before, e.snapshot())
		assert.Equal(t, tlBefore, e.timeline("user-1"))
	})
}

// customerOf resolves an id as the query service does.
func (e *env) customerOf(id string) string {
	e.t.Helper()
	var c string
	err := e.conn.QueryRow(context.Background(), e.sql("SELECT argMax(customer_id, version) FROM {db}.identities WHERE id = ?"), id).Scan(&c)
	require.NoError(e.t, err)
	if c == "" {
		return id
	}
	return c
}

// snapshot is every FINAL query result the tests compare across replays.
// The write-time customer_id hint of events and sessions is left out: a
// replay may fill it better, since it knows merges that happened later.
func (e *env) snapshot() map[string][]string {
	e.t.Helper()
	qs := map[string]string{
		"events":     "SELECT [event_id, customer_key, session_id, touchpoint, toString(ts_ms), signal] FROM {db}.events FINAL ORDER BY event_id",
		"sessions":   "SELECT [session_id, customer_key, toString(start_ms), toString(end_ms), toString(event_count), entry_touchpoint, exit_touchpoint, channel, campaign, toString(converted)] FROM {db}.sessions FINAL ORDER BY session_id",
		"identities": "SELECT [id, customer_id, cause, source_message_id] FROM {db}.identities FINAL ORDER BY id",
		"members":    "SELECT [customer_id, id, toString(deleted)] FROM {db}.customer_ids FINAL ORDER BY customer_id, id",
		"merges":     "SELECT [customer_id, event_id, from_id, to_id, cause, from_customer_id] FROM {db}.identity_merges FINAL ORDER BY customer_id, event_id",
	}
	out := map[string][]string{}
	for name, q := range qs {
		rows, err := e.conn.Query(context.Background(), e.sql(q))
		require.NoError(e.t, err)
		for rows.Next() {
			var v []string
			require.NoError(e.t, rows.Scan(&v))
			out[name] = append(out[name], strings.Join(v, "|"))
		}
		require.NoError(e.t, rows.Err())
		rows.Close()
	}
	return out
}
