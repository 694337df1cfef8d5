package app_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/segmentio/kafka-go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cemhq/cem/pkg/devkafka"
	"github.com/cemhq/cem/pkg/events"
	"github.com/cemhq/cem/pkg/itest"
	"github.com/cemhq/cem/pkg/telemetry"
	"github.com/cemhq/cem/services/collector/internal/app"
	"github.com/cemhq/cem/services/collector/internal/kafkasink"
)

// stack is a dev broker and a collector running against it.
type stack struct {
	t       *testing.T
	broker  *devkafka.Broker
	dataDir string
	addr    string // broker address, kept across restarts
	url     string
	cancel  context.CancelFunc
	done    chan error
}

func startStack(t *testing.T, mut ...func(*app.Config)) *stack {
	s := &stack{t: t, dataDir: t.TempDir()}
	s.startBroker("127.0.0.1:0")
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	s.url = "http://" + ln.Addr().String()
	cfg := app.Config{
		Kafka: kafkaConfig(s.addr), HTTPAddr: ln.Addr().String(),
		WriteKeys: []string{"web:key-web", "callcenter:key-cc"}, ServerSources: []string{"callcenter"}, MaxEventBytes: 32 << 10, MaxBatchBytes: 500 << 10, ImportMaxBytes: 8 << 20,
		MaxInflightBytes: 64 << 20, MaxConcurrent: 64, ProduceTimeout: 3 * time.Second,
		DedupWindow: time.Hour, DedupSize: 10000, CORSOrigins: []string{"*"}, ShutdownTimeout: 5 * time.Second,
		EventMaxFuture: 24 * time.Hour, EventMaxPast: 87600 * time.Hour,
	}
	for _, m := range mut {
		m(&cfg)
	}
	ctx, cancel := context.WithCancel(context.Background())
	s.cancel, s.done = cancel, make(chan error, 1)
	go func() {
		s.done <- app.Run(ctx, cfg, "it", ln, slog.New(slog.DiscardHandler), telemetry.NewRegistry("collector", "it"))
	}()
	t.Cleanup(func() {
		s.cancel()
		select {
		case err := <-s.done:
			assert.NoError(t, err)
		case <-time.After(20 * time.Second):
			t.Error("collector did not stop")
		}
		if s.broker != nil {
			s.broker.Close()
		}
	})
	itest.Eventually(t, 10*time.Second, func() bool { return s.get("/readyz") == http.StatusOK }, "collector ready")
	return s
}

func kafkaConfig(addr string) (c kafkasink.Config) {
	c.Brokers, c.Topic, c.DLQTopic = []string{addr}, "cem.events", "cem.events.dlq"
	c.Linger, c.BatchSize, c.Compression, c.WriteTimeout, c.MaxAttempts = 5*time.Millisecond, 2000, "lz4", 2*time.Second, 2
	return c
}

func (s *stack) startBroker(addr string) {
	b, err := devkafka.Start(devkafka.Config{Addr: addr, DataDir: s.dataDir, Partitions: 3})
	require.NoError(s.t, err)
	s.broker, s.addr = b, b.Addr()
}

func (s *stack) stopBroker() {
	s.broker.Close()
	s.broker = nil
}

func (s *stack) get(path string) int {
	resp, err := http.Get(s.url + path)
	if err != nil {
		return 0
	}
	_ = resp.Body.Close()
	return resp.StatusCode
}

func (s *stack) post(path, key, body string) (int, map[string]any) {
	s.t.Helper()
	req, err := http.NewRequest(http.MethodPost, s.url+path, strings.NewReader(body))
	require.NoError(s.t, err)
	req.SetBasicAuth(key, "")
	req.Header.Set("User-Agent", "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.0 Mobile/15E148 Safari/604.1")
	req.Header.Set("Origin", "https://shop.example") // a browser's request: its user agent is parsed
	resp, err := http.DefaultClient.Do(req)
	require.NoError(s.t, err)
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var out map[string]any
	_ = json.Unmarshal(raw, &out)
	return resp.StatusCode, out
}

// read returns every record of topic (all partitions) from the start.
func (s *stack) read(topic string, want int) []kafka.Message {
	s.t.Helper()
	var out []kafka.Message
	itest.Eventually(s.t, 20*time.Second, func() bool {
		out = readAll(s.t, s.addr, topic)
		return len(out) >= want
	}, fmt.Sprintf("%d records on %s", want, topic))
	return out
}

func readAll(t *testing.T, addr, topic string) []kafka.Message {
	conn, err := kafka.Dial("tcp", addr)
	require.NoError(t, err)
	parts, err := conn.ReadPartitions(topic)
	_ = conn.Close()
	require.NoError(t, err)
	var out []kafka.Message
	for _, p := range parts {
		pc, err := kafka.DialLeader(context.Background(), "tcp", addr, topic, p.ID)
		require.NoError(t, err)
		last, err := pc.ReadLastOffset()
		require.NoError(t, err)
		_ = pc.Close()
		if last == 0 {
			continue
		}
		r := kafka.NewReader(kafka.ReaderConfig{Brokers: []string{addr}, Topic: topic, Partition: p.ID, MaxWait: 50 * time.Millisecond})
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		for {
			m, err := r.ReadMessage(ctx)
			require.NoError(t, err)
			out = append(out, m)
			if m.Offset >= last-1 {
				break
			}
		}
		cancel()
		_ = r.Close()
	}
	return out
}

func decodeAll(t *testing.T, msgs []kafka.Message) map[string]events.Event {
	out := map[string]events.Event{}
	for _, m := range msgs {
		ev, err := events.Unmarshal(m.Value)
		require.NoError(t, err)
		require.Equal(t, ev.CustomerKey(), string(m.Key), "keyed by customer key")
		require.Equal(t, "1", string(m.Headers[0].Value))
		out[ev.MessageID] = ev
	}
	return out
}

func TestEndpointsToKafkaIntegration(t *testing.T) {
	s := startStack(t)
	for typ, body := range map[string]string{
		"track":    `{"anonymousId":"a1","event":"Product Viewed","messageId":"m-track","timestamp":"2026-01-01T00:00:00Z","sentAt":"2026-01-01T00:00:30Z"}`,
		"identify": `{"anonymousId":"a1","userId":"u1","messageId":"m-identify"}`,
		"page":     `{"anonymousId":"a1","name":"Home","messageId":"m-page"}`,
		"screen":   `{"anonymousId":"a1","name":"Cart","messageId":"m-screen"}`,
		"group":    `{"userId":"u1","groupId":"acme","messageId":"m-group"}`,
		"alias":    `{"userId":"u1","previousId":"a1","messageId":"m-alias"}`,
	} {
		code, out := s.post("/v1/"+typ, "key-web", body)
		require.Equal(t, http.StatusOK, code, "%s: %v", typ, out)
	}
	code, _ := s.post("/v1/batch", "key-cc", `{"batch":[{"type":"track","userId":"u1","event":"Ticket Opened","properties":{"ticket_id":"t1","channel":"phone"},"messageId":"m-batch","context":{"channel":"phone"}}]}`)
	require.Equal(t, http.StatusOK, code)
	code, _ = s.post("/v1/import", "key-cc", `{"type":"track","userId":"u1","event":"Order Completed","properties":{"order_id":"o1","revenue":12},"messageId":"m-import","timestamp":"2020-02-02T02:02:02Z"}`)
	require.Equal(t, http.StatusOK, code)

	got := decodeAll(t, s.read("cem.events", 8))
	require.Len(t, got, 8)
	tr := got["m-track"]
	assert.Equal(t, "web", tr.Source)
	assert.Equal(t, "127.0.0.1", tr.Enrichment.IP)
	assert.Equal(t, "mobile", tr.Enrichment.DeviceType)
	assert.Equal(t, "Safari", tr.Enrichment.Browser)
	assert.Equal(t, 30*time.Second, tr.ReceivedAt.Sub(tr.Timestamp), "skew-corrected timestamp")
	assert.Equal(t, time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), tr.OriginalTimestamp)
	assert.Equal(t, "callcenter", got["m-batch"].Source)
	assert.Equal(t, time.Date(2020, 2, 2, 2, 2, 2, 0, time.UTC), got["m-import"].Timestamp)
	for _, typ := range []string{"identify", "page", "screen", "group", "alias"} {
		assert.Equal(t, events.Type(typ), got["m-"+typ].Type)
	}
}

func TestMixedBatchAndDuplicatesIntegration(t *testing.T) {
	s := startStack(t)
	body := `{"batch":[
		{"type":"track","userId":"u1","event":"A","messageId":"g1"},
		{"type":"track","userId":"u1","event":"CSAT Submitted","properties":{"score":9},"messageId":"bad"},
		{"type":"track","userId":"u2","event":"B","messageId":"g2"}]}`
	code, out := s.post("/v1/batch", "key-web", body)
	require.Equal(t, http.StatusOK, code)
	assert.Equal(t, 2.0, out["accepted"])
	code, out = s.post("/v1/batch", "key-web", body)
	require.Equal(t, http.StatusOK, code)
	assert.Equal(t, 0.0, out["accepted"])
	assert.Equal(t, 2.0, out["duplicates"])

	dlq := s.read("cem.events.dlq", 2)
	var f events.Failure
	require.NoError(t, json.Unmarshal(dlq[0].Value, &f))
	assert.Equal(t, events.ReasonSchema, f.Reason)
	assert.Equal(t, "bad", f.MessageID)
	assert.Contains(t, f.Error, "batch[1].properties.score")
	// Give a duplicate produce every chance to show up, then count.
	code, _ = s.post("/v1/track", "key-web", `{"userId":"u3","event":"Marker","messageId":"marker"}`)
	require.Equal(t, http.StatusOK, code)
	got := s.read("cem.events", 3)
	assert.Len(t, got, 3, "g1, g2 and the marker, each once")
}

func TestBrokerDownIs503ThenRecoversIntegration(t *testing.T) {
	s := startStack(t)
	acked := map[string]bool{}
	send := func(id string) int {
		code, _ := s.post("/v1/track", "key-web", fmt.Sprintf(`{"userId":"u-%s","event":"E","messageId":%q}`, id, id))
		if code == http.StatusOK {
			acked[id] = true
		}
		return code
	}
	require.Equal(t, http.StatusOK, send("before-1"))
	addr := s.addr
	s.stopBroker()
	code := send("during-1")
	assert.Equal(t, http.StatusServiceUnavailable, code, "never a 2xx for an event Kafka did not store")
	itest.Eventually(t, 10*time.Second, func() bool { return s.get("/readyz") == http.StatusServiceUnavailable }, "not ready without Kafka")

	s.startBroker(addr) // same address and data directory
	itest.Eventually(t, 30*time.Second, func() bool { return send("after-1") == http.StatusOK }, "collector recovers")
	require.Equal(t, http.StatusOK, send("during-1"), "the client's retry succeeds")
	got := decodeAll(t, s.read("cem.events", len(acked)))
	for id := range acked {
		assert.Contains(t, got, id, "acknowledged event %s survived the broker restart", id)
	}
}

// TestSegmentSDKIntegration posts with the official Segment Node SDK
// (@segment/analytics-node from npm, pinned by testdata/sdk/package-lock.json)
// and reads every event back from Kafka.
func TestSegmentSDKIntegration(t *testing.T) {
	dir, err := filepath.Abs("../../testdata/sdk")
	require.NoError(t, err)
	node, err := exec.LookPath("node")
	if err != nil {
		if itest.Required() {
			t.Fatal("node is required for the Segment SDK test")
		}
		t.Skip("node not installed (scripts/test.sh installs it)")
	}
	if _, err := os.Stat(filepath.Join(dir, "node_modules", "@segment", "analytics-node")); err != nil {
		cmd := exec.Command("npm", "ci", "--no-audit", "--no-fund")
		cmd.Dir = dir
		out, err := cmd.CombinedOutput()
		require.NoError(t, err, "npm ci: %s", out)
	}
	s := startStack(t)
	run := fmt.Sprint(time.Now().UnixNano())
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, node, "send.mjs", s.url, "key-web", run)
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "sdk: %s", out)

	got := s.read("cem.events", 6)
	types := map[events.Type]events.Event{}
	for _, ev := range decodeAll(t, got) {
		types[ev.Type] = ev
		assert.Equal(t, "web", ev.Source)
		assert.NotEmpty(t, ev.MessageID)
		assert.False(t, ev.Enrichment.MessageIDGenerated, "the SDK's messageId is kept")
		assert.Equal(t, "@segment/analytics-node", ev.Context.Library.Name)
		assert.WithinDuration(t, time.Now(), ev.Timestamp, time.Minute, "skew-corrected from the SDK's sentAt")
	}
	assert.Len(t, types, 6, "one event of every call type")
	assert.Equal(t, "Order Completed", types[events.TypeTrack].Event)
	order := types[events.TypeTrack]
	res, err := order.Reserved()
	require.NoError(t, err)
	assert.Equal(t, 42.5, res.Revenue)
}

// TestAdminAddrServesMetricsIntegration: with CEM_ADMIN_ADDR, /metrics is
// served on the admin port only; the probes answer on both ports.
func TestAdminAddrServesMetricsIntegration(t *testing.T) {
	admin := itest.FreeAddr(t)
	s := startStack(t, func(c *app.Config) { c.AdminAddr = admin })
	assert.Equal(t, http.StatusNotFound, s.get("/metrics"), "no metrics on the public port")
	assert.Equal(t, http.StatusOK, s.get("/healthz"))
	resp, err := http.Get("http://" + admin + "/metrics")
	require.NoError(t, err)
	body, err := io.ReadAll(resp.Body)
	_ = resp.Body.Close()
	require.NoError(t, err)
	assert.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Contains(t, string(body), "cem_collector_requests_total")
	for _, p := range []string{"/healthz", "/readyz"} {
		resp, err := http.Get("http://" + admin + p)
		require.NoError(t, err)
		_ = resp.Body.Close()
		assert.Equal(t, http.StatusOK, resp.StatusCode, p)
	}
}
