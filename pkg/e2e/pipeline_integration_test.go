package e2e

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cemhq/cem/pkg/chconn"
	"github.com/cemhq/cem/pkg/itest"
)

// metric returns the value of an unlabelled sample in a /metrics page.
func metric(t *testing.T, url, name string) float64 {
	t.Helper()
	resp, err := http.Get(url)
	require.NoError(t, err)
	defer func() { _ = resp.Body.Close() }()
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), name+" "); ok {
			f, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
			require.NoError(t, err)
			return f
		}
	}
	return -1
}

func TestPipelineIntegration(t *testing.T) {
	s := need(t)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()

	var b [4]byte
	_, _ = rand.Read(b[:])
	run := "e2e" + hex.EncodeToString(b[:])
	topic, dlq, alerts, db := "cem.events."+run, "cem.events.dlq."+run, "cem.alerts."+run, itest.DatabaseName(t.Name())
	out, err := s.createTopics(ctx, topic, dlq, alerts, 4)
	require.NoError(t, err, out)
	assert.Contains(t, out, "PartitionCount: 4")

	collectorBin := itest.BuildService(t, "collector")
	processorBin := itest.BuildService(t, "processor")
	collectorPort, adminPort := itest.FreePort(t), itest.FreePort(t)
	common := map[string]string{
		"CEM_KAFKA_BROKERS": s.brokers, "CEM_KAFKA_TOPIC": topic, "CEM_KAFKA_DLQ_TOPIC": dlq,
		"CEM_CLICKHOUSE_ADDR": s.chAddr, "CEM_CLICKHOUSE_DATABASE": db, "CEM_LOG_LEVEL": "debug",
	}
	with := func(extra map[string]string) map[string]string {
		m := map[string]string{}
		for k, v := range common {
			m[k] = v
		}
		for k, v := range extra {
			m[k] = v
		}
		return m
	}
	processor := itest.Start(t, processorBin, with(map[string]string{
		"CEM_PROCESSOR_ADMIN_ADDR": "127.0.0.1:" + strconv.Itoa(adminPort), "CEM_PROCESSOR_GROUP": "cem-processor-" + run,
		"CEM_PROCESSOR_FLUSH_INTERVAL": "200ms", "CEM_KAFKA_ALERT_TOPIC": alerts,
	}))
	collector := itest.Start(t, collectorBin, with(map[string]string{
		"CEM_HTTP_ADDR": "127.0.0.1:" + strconv.Itoa(collectorPort), "CEM_WRITE_KEYS": "web:" + run + "-key",
	}))
	collectorURL := "http://127.0.0.1:" + strconv.Itoa(collectorPort)
	adminURL := "http://127.0.0.1:" + strconv.Itoa(adminPort)
	itest.Eventually(t, 2*time.Minute, func() bool { return itest.Ready(adminURL + "/readyz") }, "processor ready (ClickHouse migrated)")
	itest.Eventually(t, time.Minute, func() bool { return itest.Ready(collectorURL + "/readyz") }, "collector ready")

	anon, user := "anon-"+run, "user-"+run
	now := time.Now().UTC()
	ts := func(i int) string { return now.Add(time.Duration(i-10) * time.Second).Format(time.RFC3339Nano) }
	batch := []map[string]any{
		{"type": "page", "anonymousId": anon, "name": "Home", "messageId": run + "-1", "timestamp": ts(1)},
		{"type": "track", "anonymousId": anon, "event": "E2E Clicked", "messageId": run + "-2", "timestamp": ts(2)},
		{"type": "identify", "anonymousId": anon, "userId": user, "messageId": run + "-3", "timestamp": ts(3), "traits": map[string]any{"plan": "pro"}},
		{"type": "track", "userId": user, "event": "E2E Purchased", "messageId": run + "-4", "timestamp": ts(4)},
	}
	post := func(events []map[string]any) {
		t.Helper()
		body, err := json.Marshal(map[string]any{"batch": events})
		require.NoError(t, err)
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, collectorURL+"/v1/batch", bytes.NewReader(body))
		require.NoError(t, err)
		req.SetBasicAuth(run+"-key", "")
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		defer func() { _ = resp.Body.Close() }()
		require.Equal(t, http.StatusOK, resp.StatusCode, "collector accepted the batch")
	}
	post(batch)
	post(batch) // an SDK retry of the same batch
	// A later event of the same key: same partition, so once it is stored the
	// retry before it has been processed too.
	post([]map[string]any{{"type": "track", "userId": user, "event": "E2E Sentinel", "messageId": run + "-5", "timestamp": ts(5)}})

	conn, err := chconn.Open(ctx, chconn.Config{Addr: s.chAddr, Database: db})
	require.NoError(t, err)
	defer func() { _ = conn.Close() }()
	count := func(q string, args ...any) uint64 {
		var n uint64
		if err := conn.QueryRow(ctx, q, args...).Scan(&n); err != nil {
			return 0
		}
		return n
	}
	itest.Eventually(t, time.Minute, func() bool {
		return count("SELECT count() FROM "+db+".events FINAL WHERE event_id = ?", "web:"+run+"-5") == 1
	}, "sentinel event stored")

	assert.Equal(t, uint64(5), count("SELECT count() FROM "+db+".events FINAL WHERE startsWith(event_id, ?)", "web:"+run+"-"),
		"each event stored once despite the retried batch")
	timeline := count("SELECT count() FROM "+db+".events FINAL WHERE customer_key IN ("+
		"SELECT id FROM "+db+".customer_ids FINAL WHERE customer_id = ? AND deleted = 0 UNION ALL SELECT ?)", user, user)
	assert.Equal(t, uint64(5), timeline, "the user's timeline includes the anonymous events from before identify")
	assert.GreaterOrEqual(t, metric(t, adminURL+"/metrics", "cem_processor_messages_consumed_total"), 5.0)

	require.NoError(t, collector.Stop(45*time.Second), "collector exits 0 on SIGTERM")
	require.NoError(t, processor.Stop(60*time.Second), "processor exits 0 on SIGTERM")
}
