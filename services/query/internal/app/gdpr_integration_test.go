package app_test

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cemhq/cem/pkg/events"
	"github.com/cemhq/cem/pkg/itest"
	"github.com/cemhq/cem/pkg/junkid"
	"github.com/cemhq/cem/pkg/suppress"
	"github.com/cemhq/cem/services/query/internal/gdpr"
)

// rawEvent is an events row of the GDPR tests.
type rawEvent struct {
	id, typ, event, anon, user string
	props, traits              map[string]any
}

// insert writes evs as events rows (customer_key: anonymousId, else
// userId) and links each userId with its non-junk anonymousIds.
func (e *env) insert(evs ...rawEvent) {
	e.t.Helper()
	ctx := context.Background()
	b, err := e.conn.PrepareBatch(ctx, "INSERT INTO "+e.db+`.events (event_id, message_id, source, type, event, customer_key, customer_id,
 anonymous_id, user_id, timestamp, ts_ms, received_at, received_ms, properties, traits, version)`)
	require.NoError(e.t, err)
	ib, err := e.conn.PrepareBatch(ctx, "INSERT INTO "+e.db+".identities (id, customer_id, linked_at, cause, source_message_id, version)")
	require.NoError(e.t, err)
	now := time.Now().UTC().Truncate(time.Second)
	for i, ev := range evs {
		key := ev.anon
		if key == "" {
			key = ev.user
		}
		js := func(m map[string]any) string {
			if m == nil {
				return "{}"
			}
			b, _ := json.Marshal(m)
			return string(b)
		}
		ts := now.Add(time.Duration(i-len(evs)) * time.Minute)
		require.NoError(e.t, b.Append("t:"+ev.id, ev.id, "t", ev.typ, ev.event, key, ev.user, ev.anon, ev.user, ts, ts.UnixMilli(), ts, ts.UnixMilli(),
			js(ev.props), js(ev.traits), uint64(1)))
		if ev.user != "" {
			require.NoError(e.t, ib.Append(ev.user, ev.user, now, "identify", ev.id, uint64(1)))
			if !junkid.New().Is(ev.anon) {
				require.NoError(e.t, ib.Append(ev.anon, ev.user, now, "identify", ev.id, uint64(1)))
			}
		}
	}
	require.NoError(e.t, b.Send())
	require.NoError(e.t, ib.Send())
}

func (e *env) count(q string, args ...any) uint64 {
	e.t.Helper()
	var n uint64
	require.NoError(e.t, e.conn.QueryRow(context.Background(), fmt.Sprintf(q, e.db), args...).Scan(&n), q)
	return n
}

// TestGDPRJunkIDIntegration: a junk or shared id cannot be exported or
// erased (400), an erasure never suppresses one, and a user who shares a
// junk anonymousId with an erased user is never suppressed.
func TestGDPRJunkIDIntegration(t *testing.T) {
	e := newEnv(t)
	e.insert(
		rawEvent{id: "a1", typ: "track", event: "Clicked", anon: "null", user: "u-ann"},
		rawEvent{id: "b1", typ: "track", event: "Clicked", anon: "null", user: "u-bob"},
		rawEvent{id: "b2", typ: "page", anon: "null", user: "u-bob"},
	)
	for _, id := range []string{"null", "NULL", "undefined", "0", "guest", "%20"} {
		for _, method := range []string{"DELETE", "GET"} {
			path := "/api/v1/customers/" + id
			if method == "GET" {
				path += "/export"
			}
			code, body := e.do(method, path, nil)
			assert.Equal(t, http.StatusBadRequest, code, "%s %s: %s", method, path, body)
			assert.Contains(t, string(body), `"code":"junk_id"`, "%s %s", method, path)
		}
	}
	assert.Equal(t, uint64(3), e.count("SELECT count() FROM %s.events"), "nothing deleted")

	var rec gdpr.Receipt
	e.json("DELETE", "/api/v1/customers/u-ann", nil, &rec)
	assert.Equal(t, []string{"u-ann"}, rec.IDs, "the shared anonymousId is not hers to erase")
	assert.Zero(t, e.count("SELECT count() FROM %s.suppressed_ids WHERE id = 'null'"))
	assert.Equal(t, uint64(2), e.count("SELECT count() FROM %s.events WHERE user_id = 'u-bob'"), "Bob's events, keyed by the shared id, stay")
	assert.Zero(t, e.count("SELECT count() FROM %s.events WHERE user_id = 'u-ann'"))

	list := suppress.New(e.conn, suppress.Options{Database: e.db, Junk: junkid.New()})
	require.NoError(t, list.Refresh(context.Background()))
	assert.True(t, suppress.Event(list, &events.Event{AnonymousID: "null", UserID: "u-ann"}))
	assert.False(t, suppress.Event(list, &events.Event{AnonymousID: "null", UserID: "u-bob"}), "Bob shares the junk id and is never suppressed")
	assert.False(t, suppress.Event(list, &events.Event{AnonymousID: "null"}))
}

// TestGDPRRedactIntegration: the erased person's e-mail and user id in
// another customer's Referral Sent (properties declared x-cem-pii) are
// redacted, and the receipt says so; other properties and events stay.
func TestGDPRRedactIntegration(t *testing.T) {
	forEachLayout(t, func(t *testing.T, e *env) {
		e.insert(
			rawEvent{id: "v1", typ: "identify", anon: "a-vera", user: "u-vera", traits: map[string]any{"email": "Vera@Example.com", "phone": "+44 7700 900731"}},
			rawEvent{id: "o1", typ: "track", event: "Referral Sent", user: "u-otto",
				props: map[string]any{"referral_id": "r-1", "medium": "email", "referee_email": "vera@example.com"}},
			rawEvent{id: "o2", typ: "track", event: "Referral Sent", user: "u-otto",
				props: map[string]any{"referral_id": "r-2", "referee_user_id": "u-vera", "referee_phone": "+44 7700 900731"}},
			rawEvent{id: "o3", typ: "track", event: "Referral Sent", user: "u-otto",
				props: map[string]any{"referral_id": "r-3", "referee_email": "someone.else@example.com"}},
			rawEvent{id: "o4", typ: "track", event: "Feedback Given", user: "u-otto", props: map[string]any{"text": "ask vera@example.com"}},
		)
		var rec gdpr.Receipt
		e.json("DELETE", "/api/v1/customers/u-vera", nil, &rec)
		got := map[string]uint64{}
		for _, r := range rec.Redacted {
			assert.Equal(t, "Referral Sent", r.Event)
			assert.Equal(t, "events", r.Table)
			got[r.Property] = r.Rows
		}
		assert.Equal(t, map[string]uint64{"referee_email": 1, "referee_user_id": 1, "referee_phone": 1}, got)

		props := func(id string) map[string]any {
			var s string
			require.NoError(t, e.conn.QueryRow(context.Background(), "SELECT properties FROM "+e.db+".events WHERE event_id = ?", "t:"+id).Scan(&s))
			var m map[string]any
			require.NoError(t, json.Unmarshal([]byte(s), &m), s)
			return m
		}
		assert.Equal(t, map[string]any{"referral_id": "r-1", "medium": "email", "referee_email": gdpr.Redacted}, props("o1"))
		assert.Equal(t, map[string]any{"referral_id": "r-2", "referee_user_id": gdpr.Redacted, "referee_phone": gdpr.Redacted}, props("o2"))
		assert.Equal(t, "someone.else@example.com", props("o3")["referee_email"], "another referee is kept")
		assert.Equal(t, "ask vera@example.com", props("o4")["text"], "free text is not declared as identity and is kept")
		assert.Zero(t, e.count("SELECT count() FROM %s.events WHERE user_id = 'u-vera'"))
	})
}

// TestGDPRScopesAndAuditIntegration: a read-only token gets 403 on export
// and erasure and nothing happens; the audit log names the token of every
// export and erasure, and the receipt shows its row.
func TestGDPRScopesAndAuditIntegration(t *testing.T) {
	e := newEnv(t)
	e.insert(rawEvent{id: "v1", typ: "identify", anon: "a-vera", user: "u-vera"})
	for _, method := range []string{"GET", "DELETE"} {
		path := "/api/v1/customers/u-vera"
		if method == "GET" {
			path += "/export"
		}
		code, body := e.doAs(analystToken, method, path, nil)
		assert.Equal(t, http.StatusForbidden, code, "%s: %s", method, body)
	}
	code, _ := e.doAs(analystToken, "GET", "/api/v1/customers/u-vera", nil)
	assert.Equal(t, http.StatusOK, code, "reading is the reader's right")
	assert.Zero(t, e.count("SELECT count() FROM %s.gdpr_audit"), "a refused request did nothing")
	assert.Equal(t, uint64(1), e.count("SELECT count() FROM %s.events"))

	code, body := e.doAs(dpoToken, "GET", "/api/v1/customers/u-vera/export", nil)
	require.Equal(t, http.StatusOK, code, string(body))
	var x gdpr.Export
	require.NoError(t, json.Unmarshal(body, &x))
	assert.Equal(t, "dpo", x.Audit.Token)
	code, body = e.doAs(dpoToken, "DELETE", "/api/v1/customers/u-vera", nil)
	require.Equal(t, http.StatusOK, code, string(body))
	var rec gdpr.Receipt
	require.NoError(t, json.Unmarshal(body, &rec))
	assert.Equal(t, "dpo", rec.Audit.Token)
	assert.Equal(t, "erase", rec.Audit.Action)
	assert.Equal(t, "ok", rec.Audit.Outcome)

	type row struct{ action, outcome, token, customer, receipt string }
	var rows []row
	rs, err := e.conn.Query(context.Background(), "SELECT action, outcome, token_name, customer_id, receipt_id FROM "+e.db+".gdpr_audit ORDER BY at_ms, action DESC")
	require.NoError(t, err)
	for rs.Next() {
		var r row
		require.NoError(t, rs.Scan(&r.action, &r.outcome, &r.token, &r.customer, &r.receipt))
		rows = append(rows, r)
	}
	require.NoError(t, rs.Err())
	assert.Equal(t, []row{{"export", "ok", "dpo", "u-vera", ""}, {"erase", "ok", "dpo", "u-vera", rec.ReceiptID}}, rows)
}

// TestGDPRWritersIntegration: an erasure waits for every live writer to
// acknowledge the suppression before it deletes: a writer that does not
// answer makes it fail with 503 writers_unconfirmed and nothing deleted;
// writers that acknowledge, or stopped, or whose heartbeat expired, let it
// through.
func TestGDPRWritersIntegration(t *testing.T) {
	e := newEnv(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	e.insert(rawEvent{id: "v1", typ: "identify", anon: "a-vera", user: "u-vera"})
	beat := func(id string, version uint64, at time.Time, stopped uint8) {
		b, err := e.conn.PrepareBatch(ctx, "INSERT INTO "+e.db+".suppression_writers (writer_id, kind, host, version, ids, heartbeat_at, heartbeat_ms, stopped, seq)")
		require.NoError(t, err)
		require.NoError(t, b.Append(id, "processor", "h", version, uint64(0), at, at.UnixMilli(), stopped, uint64(time.Now().UnixNano())))
		require.NoError(t, b.Send())
	}
	beat("frozen", 0, time.Now(), 0)
	beat("gone", 0, time.Now().Add(-time.Hour), 0) // heartbeat expired
	beat("stopped", 0, time.Now(), 1)

	code, body := e.do("DELETE", "/api/v1/customers/u-vera", nil)
	assert.Equal(t, http.StatusServiceUnavailable, code, string(body))
	assert.Contains(t, string(body), `"code":"writers_unconfirmed"`)
	assert.Contains(t, string(body), "frozen")
	assert.NotContains(t, string(body), "gone")
	assert.Equal(t, uint64(1), e.count("SELECT count() FROM %s.events"), "nothing deleted before every writer confirmed")
	assert.Equal(t, uint64(1), e.count("SELECT count() FROM %s.gdpr_audit WHERE action = 'erase' AND outcome = 'failed'"), "the failure is audited")

	// A real writer acknowledges; the frozen one stops.
	live := suppress.New(e.conn, suppress.Options{Database: e.db, Junk: junkid.New(), Kind: "processor"})
	go live.Run(ctx, suppress.RunConfig{Interval: 20 * time.Millisecond, Heartbeat: time.Second}, slog.New(slog.DiscardHandler))
	beat("frozen", 0, time.Now(), 1)
	itest.Eventually(t, 10*time.Second, func() bool { return live.Acked() > 0 }, "the live writer acknowledged the first attempt's suppression")
	var rec gdpr.Receipt
	e.json("DELETE", "/api/v1/customers/u-vera", nil, &rec)
	require.Len(t, rec.Writers, 1)
	assert.Equal(t, live.WriterID(), rec.Writers[0].ID)
	assert.GreaterOrEqual(t, rec.Writers[0].Version, rec.SuppressionVersion)
	assert.True(t, live.Suppressed("u-vera"), "the writer refuses her from the receipt on")
	assert.Zero(t, e.count("SELECT count() FROM %s.events"))
}
