package erasuretest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/cemhq/cem/pkg/itest"
)

// own are the erasure's own records, which keep the erased ids by design
// (services/query/internal/gdpr.Own): the suppression list, the receipts,
// the audit log, the writers' acknowledgements, the migration log.
var own = map[string]bool{"suppressed_ids": true, "erasure_receipts": true, "gdpr_audit": true, "suppression_writers": true, "schema_migrations": true}

// person is who gets erased.
type person struct{ anon, user, email, name, phone string }

func (p person) needles() []string { return []string{p.anon, p.user, p.email, p.name, p.phone} }

type stack struct {
	services            []*itest.Service
	collector, query    string
	writeKey, dpoToken  string
	alertTopic, brokers string
}

func startStack(t *testing.T, conn driver.Conn, db, chAddr string) *stack {
	t.Helper()
	broker := itest.Kafka(t)
	bins := map[string]string{}
	for _, name := range []string{"collector", "processor", "query"} {
		bins[name] = itest.BuildService(t, name)
	}
	s := &stack{writeKey: "erasure-test-key", dpoToken: "dpo-token-0123456789abcdef", alertTopic: "cem.alerts", brokers: broker.Addr()}
	env := func(extra ...string) []string {
		return append([]string{"CEM_KAFKA_BROKERS=" + broker.Addr(), "CEM_CLICKHOUSE_ADDR=" + chAddr, "CEM_CLICKHOUSE_DATABASE=" + db,
			"CEM_LOG_FORMAT=text", "CEM_LOG_LEVEL=warn"}, extra...)
	}
	processor := itest.StartService(t, bins["processor"], "CEM_PROCESSOR_ADMIN_ADDR", env("CEM_PROCESSOR_FLUSH_INTERVAL=200ms",
		"CEM_SCORES_ENABLED=true", "CEM_SCORES_INTERVAL=1s", "CEM_KAFKA_ALERT_TOPIC="+s.alertTopic)...)
	itest.Eventually(t, 2*time.Minute, func() bool {
		var n uint64
		err := conn.QueryRow(context.Background(), "SELECT count() FROM system.tables WHERE database = ? AND name IN ('suppression_writers', 'gdpr_audit')", db).Scan(&n)
		return err == nil && n == 2
	}, "processor migrated ClickHouse")
	collector := itest.StartService(t, bins["collector"], "CEM_HTTP_ADDR", env("CEM_WRITE_KEYS=crm:"+s.writeKey, "CEM_SUPPRESSION_ENABLED=true")...)
	query := itest.StartService(t, bins["query"], "CEM_HTTP_ADDR", env("CEM_QUERY_MIGRATE=false",
		"CEM_QUERY_TOKENS=dpo:"+s.dpoToken+":export+erase,analyst:analyst-token-0123456789:read")...)
	s.services = []*itest.Service{collector, processor, query}
	s.collector, s.query = collector.URL, query.URL
	return s
}

// post sends a batch to the collector and returns the status and body.
func (s *stack) post(ctx context.Context, batch []map[string]any) (int, string, error) {
	body, _ := json.Marshal(map[string]any{"batch": batch})
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.collector+"/v1/batch", bytes.NewReader(body))
	if err != nil {
		return 0, "", err
	}
	req.SetBasicAuth(s.writeKey, "")
	req.Header.Set("Content-Type", "application/json")
	// A CRM server's client, not a bot (bot traffic is not scored).
	req.Header.Set("User-Agent", "crm-sync/2.3")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, "", err
	}
	defer func() { _ = resp.Body.Close() }()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), nil
}

// eventsOf are one tick's events of p: an identify with their traits, a
// detractor answer and a complaint (both raise stream alerts) and a page view.
func eventsOf(p person, tick int) []map[string]any {
	id := func(k string) string { return fmt.Sprintf("%s-%s-%d", p.user, k, tick) }
	return []map[string]any{
		{"type": "identify", "anonymousId": p.anon, "userId": p.user, "messageId": id("i"),
			"traits": map[string]any{"email": p.email, "name": p.name, "phone": p.phone}},
		{"type": "track", "userId": p.user, "event": "NPS Submitted", "messageId": id("n"), "properties": map[string]any{"score": 2}},
		{"type": "track", "userId": p.user, "event": "Complaint Filed", "messageId": id("c"), "properties": map[string]any{"reason": "late"}},
		{"type": "page", "anonymousId": p.anon, "name": "Account", "messageId": id("p"), "context": map[string]any{"page": map[string]any{"path": "/account"}}},
	}
}

// holders searches every String, Nullable(String) and Array(String) column
// of every table and view of db (own records aside) for the needles and
// returns "table.column" for each column that holds one.
func holders(t *testing.T, conn driver.Conn, db string, needles []string) []string {
	t.Helper()
	ctx := context.Background()
	rows, err := conn.Query(ctx, "SELECT table, name, type FROM system.columns WHERE database = ? AND (type LIKE '%String%')", db)
	require.NoError(t, err)
	type col struct{ table, name, typ string }
	var cols []col
	for rows.Next() {
		var c col
		require.NoError(t, rows.Scan(&c.table, &c.name, &c.typ))
		if !own[c.table] {
			cols = append(cols, c)
		}
	}
	require.NoError(t, rows.Err())
	require.NotEmpty(t, cols)
	var out []string
	for _, c := range cols {
		var conds []string
		for _, n := range needles {
			lit := "'" + strings.ReplaceAll(n, "'", "\\'") + "'"
			if strings.HasPrefix(c.typ, "Array(") {
				conds = append(conds, fmt.Sprintf("arrayExists(x -> positionCaseInsensitive(toString(x), %s) > 0, `%s`)", lit, c.name))
			} else {
				conds = append(conds, fmt.Sprintf("positionCaseInsensitive(toString(`%s`), %s) > 0", c.name, lit))
			}
		}
		var n uint64
		q := fmt.Sprintf("SELECT count() FROM %s.`%s` WHERE %s", db, c.table, strings.Join(conds, " OR "))
		require.NoError(t, conn.QueryRow(ctx, q).Scan(&n), q)
		if n > 0 {
			out = append(out, fmt.Sprintf("%s.%s (%d rows)", c.table, c.name, n))
		}
	}
	return out
}

// alertsOf returns the production times of customer's alerts on the
// topic: every record up to an empty poll, for at most 15 s (alerts keep
// coming while the scorer runs; the records from before the call are read
// within the first polls).
func alertsOf(t *testing.T, brokers, topic, customer string) []time.Time {
	t.Helper()
	cl, err := kgo.NewClient(kgo.SeedBrokers(brokers), kgo.ConsumeTopics(topic), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	require.NoError(t, err)
	defer cl.Close()
	var out []time.Time
	for end := time.Now().Add(15 * time.Second); time.Now().Before(end); {
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
		fs := cl.PollFetches(ctx)
		cancel()
		n := 0
		fs.EachRecord(func(r *kgo.Record) {
			n++
			if string(r.Key) == customer {
				out = append(out, r.Timestamp)
			}
		})
		if n == 0 {
			break
		}
	}
	return out
}

func TestErasureUnderTrafficIntegration(t *testing.T) {
	conn, chAddr, db := itest.ClickHouse(t)
	s := startStack(t, conn, db, chAddr)
	start := time.Now()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	victim := person{anon: "anon-vera-7f31", user: "user-vera-7f31", email: "Vera.Erasmus@example.com", name: "Vera Erasmus", phone: "+44 7700 900731"}
	other := person{anon: "anon-otto-2c44", user: "user-otto-2c44", email: "otto.keep@example.com", name: "Otto Keep", phone: "+44 7700 900244"}

	// Otto referred Vera: her e-mail and user id are in his event.
	code, body, err := s.post(ctx, append(eventsOf(other, 0), map[string]any{
		"type": "track", "userId": other.user, "event": "Referral Sent", "messageId": "ref-1",
		"properties": map[string]any{"referral_id": "r-1", "referee_email": strings.ToLower(victim.email), "referee_user_id": victim.user},
	}))
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, code, body)

	// The sender posts Vera's events every 50 ms until the test ends.
	type answer struct {
		at   time.Time // sent
		code int
		body string
	}
	var mu sync.Mutex
	var answers []answer
	sent := make(chan struct{})
	go func() {
		defer close(sent)
		tick := time.NewTicker(50 * time.Millisecond)
		defer tick.Stop()
		for i := 1; ctx.Err() == nil; i++ {
			start := time.Now()
			code, body, err := s.post(ctx, eventsOf(victim, i))
			if err == nil {
				mu.Lock()
				answers = append(answers, answer{start, code, body})
				mu.Unlock()
			}
			select {
			case <-ctx.Done():
			case <-tick.C:
			}
		}
	}()

	count := func(q string, args ...any) uint64 {
		var n uint64
		require.NoError(t, conn.QueryRow(context.Background(), q, args...).Scan(&n), q)
		return n
	}
	itest.Eventually(t, 90*time.Second, func() bool {
		return count("SELECT count() FROM "+db+".customer_profiles WHERE customer_id = ?", victim.user) > 0 &&
			count("SELECT count() FROM "+db+".alerts WHERE customer_id = ?", victim.user) > 0 &&
			count("SELECT count() FROM "+db+".score_snapshots WHERE customer_id = ?", victim.user) > 0
	}, "Vera stored, scored and alerted")
	require.NotEmpty(t, holders(t, conn, db, victim.needles()), "the search finds her before the erasure")
	require.NotEmpty(t, alertsOf(t, s.brokers, s.alertTopic, victim.user), "her alerts were published before the erasure")

	t.Logf("stored, scored and alerted after %s", time.Since(start).Round(time.Millisecond))
	erasing := time.Now()
	req, err := http.NewRequest(http.MethodDelete, s.query+"/api/v1/customers/"+victim.anon, nil)
	require.NoError(t, err)
	req.Header.Set("Authorization", "Bearer "+s.dpoToken)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	b, _ := io.ReadAll(resp.Body)
	_ = resp.Body.Close()
	receiptAt := time.Now()
	t.Logf("erasure took %s", receiptAt.Sub(erasing).Round(time.Millisecond))
	require.Equal(t, http.StatusOK, resp.StatusCode, string(b))
	var rec struct {
		IDs      []string                `json:"ids"`
		Writers  []struct{ Kind string } `json:"writers"`
		Redacted []struct {
			Event, Property string
			Rows            uint64
		} `json:"redacted"`
		Audit struct{ Token, Action, Outcome string } `json:"audit"`
	}
	require.NoError(t, json.Unmarshal(b, &rec))
	assert.ElementsMatch(t, []string{victim.anon, victim.user}, rec.IDs)
	var kinds []string
	for _, w := range rec.Writers {
		kinds = append(kinds, w.Kind)
	}
	assert.ElementsMatch(t, []string{"collector", "processor"}, kinds, "every live writer confirmed the suppression")
	assert.Contains(t, string(b), `"property":"referee_email"`, "the receipt lists the redaction")
	assert.Equal(t, "dpo", rec.Audit.Token)

	assert.Empty(t, holders(t, conn, db, victim.needles()), "no table holds anything of hers once the receipt is returned")
	t.Logf("search of every column took %s", time.Since(receiptAt).Round(time.Millisecond))
	assert.Positive(t, count("SELECT count() FROM "+db+".events WHERE user_id = ? AND event = 'Referral Sent' AND properties LIKE '%[erased]%'", other.user),
		"Otto's referral is kept, redacted")

	// 30 more seconds of her events and of scorer runs add nothing.
	itest.Eventually(t, time.Minute, func() bool { return time.Since(receiptAt) >= 30*time.Second }, "30 s of traffic after the receipt")
	assert.Positive(t, count("SELECT count() FROM "+db+".customer_scores WHERE customer_id = ? AND computed_ms > ?", other.user, receiptAt.Add(20*time.Second).UnixMilli()),
		"the scorer kept running (Otto scored again)")
	assert.Empty(t, holders(t, conn, db, victim.needles()), "30 s later: still nothing of hers")
	assert.Equal(t, uint64(1), count("SELECT count() FROM "+db+".customer_profiles FINAL WHERE customer_id = ?", other.user), "Otto is still there")
	cancel()
	<-sent

	for _, at := range alertsOf(t, s.brokers, s.alertTopic, victim.user) {
		assert.False(t, at.After(receiptAt), "an alert of hers was published after the receipt, at %s", at)
	}
	mu.Lock()
	defer mu.Unlock()
	after := 0
	for _, a := range answers {
		if a.at.After(receiptAt) {
			after++
			assert.Equal(t, http.StatusBadRequest, a.code, "the collector refuses her events sent after the receipt: %s", a.body)
			assert.Contains(t, a.body, `"reason":"suppressed"`)
		}
	}
	assert.Greater(t, after, 300, "the sender kept posting")

	for _, svc := range s.services {
		svc.Stop()
	}
	var stopped uint64
	require.NoError(t, conn.QueryRow(context.Background(), "SELECT countIf(st = 1) FROM (SELECT argMax(stopped, seq) AS st FROM "+db+
		".suppression_writers GROUP BY writer_id)").Scan(&stopped))
	assert.Equal(t, uint64(2), stopped, "collector and processor recorded their stop: erasures no longer wait for them")
}
