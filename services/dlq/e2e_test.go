package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/segmentio/kafka-go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cemhq/cem/pkg/events"
	"github.com/cemhq/cem/pkg/itest"
	"github.com/cemhq/cem/services/dlq/internal/dlq"
)

const webKey = "dlq-test-web-key"

// startCollector runs the collector binary on broker with extra env.
func startCollector(t *testing.T, bin, broker string, env ...string) *itest.Service {
	t.Helper()
	return itest.StartService(t, bin, "CEM_HTTP_ADDR", append([]string{"CEM_KAFKA_BROKERS=" + broker,
		"CEM_WRITE_KEYS=web:" + webKey, "CEM_LOG_LEVEL=warn", "CEM_KAFKA_LINGER=1ms"}, env...)...)
}

func post(t *testing.T, url, body string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, url+"/v1/batch", strings.NewReader(body))
	require.NoError(t, err)
	req.SetBasicAuth(webKey, "")
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	_ = resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
}

// cli runs the dlq command in process and returns its exit status and output.
func cli(t *testing.T, args ...string) (int, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code := run(context.Background(), args, strings.NewReader(""), &out, &errOut)
	if errOut.Len() > 0 {
		t.Logf("dlq %s: %s", strings.Join(args, " "), errOut.String())
	}
	return code, out.String()
}

func report(t *testing.T, out string) dlq.Report {
	t.Helper()
	var r dlq.Report
	require.NoError(t, json.Unmarshal([]byte(out), &r), out)
	return r
}

// storedIDs reads every record of cem.events and counts each messageId;
// it also returns each one's event time.
func storedIDs(t *testing.T, broker string) (map[string]int, map[string]time.Time) {
	t.Helper()
	ids, at := map[string]int{}, map[string]time.Time{}
	require.NoError(t, dlq.Topic{Brokers: []string{broker}, Name: "cem.events"}.Scan(context.Background(), dlq.Offsets{},
		func(r dlq.Record) error {
			ev, err := events.Unmarshal(r.Value)
			require.NoError(t, err)
			ids[ev.MessageID]++
			at[ev.MessageID] = ev.Timestamp
			return nil
		}, func(int, int64) error { return nil }))
	return ids, at
}

// TestDLQReplayEndToEnd runs the real collector on the dev broker: events
// rejected for their content (fixed in an exported file), for a limit
// (raised, then replayed straight from the DLQ) and a processor-stage
// record (replayed to cem.events) each land exactly once, also when the
// replays are run again.
func TestDLQReplayEndToEnd(t *testing.T) {
	broker := itest.Kafka(t).Addr()
	bin := itest.BuildService(t, "collector")
	first := startCollector(t, bin, broker, "CEM_MAX_EVENT_BYTES=2048")
	url := first.URL
	big := strings.Repeat("x", 3000)
	twoDaysAgo := time.Now().UTC().Add(-48 * time.Hour).Truncate(time.Millisecond)
	posted := time.Now()
	post(t, url, `{"batch":[
 {"type":"track","userId":"u1","event":"Signed Up","messageId":"ok-1"},
 {"type":"track","userId":"u1","event":"CES Submitted","properties":{"score":9},"messageId":"bad-1","timestamp":"`+
		twoDaysAgo.Format(time.RFC3339Nano)+`","sentAt":"`+twoDaysAgo.Add(time.Minute).Format(time.RFC3339Nano)+`"},
 {"type":"track","userId":"u2","event":"CES Submitted","properties":{"score":12},"messageId":"bad-2"},
 {"type":"track","userId":"u3","event":"Note","properties":{"text":"`+big+`"},"messageId":"big-1"}]}`)
	first.Stop()

	// A processor-stage record, as the processor writes one for an event
	// it could not process.
	now := time.Now().UTC().Truncate(time.Millisecond)
	wire, err := events.Marshal(&events.Event{Type: "track", Event: "Signed Up", UserID: "u4", MessageID: "proc-1",
		Timestamp: now, ReceivedAt: now, Source: "web"})
	require.NoError(t, err)
	f := events.Failure{V: 1, Stage: "processor", Reason: events.ReasonProcessing, Error: "bug fixed since", Source: "web",
		MessageID: "proc-1", At: time.Now().UTC()}
	f.SetRaw(wire, events.DefaultMaxRawBytes)
	rec, err := json.Marshal(f)
	require.NoError(t, err)
	w := &kafka.Writer{Addr: kafka.TCP(broker), Topic: "cem.events.dlq", RequiredAcks: kafka.RequireAll, BatchTimeout: time.Millisecond}
	require.NoError(t, w.WriteMessages(context.Background(), kafka.Message{Key: []byte("u4"), Value: rec}))
	require.NoError(t, w.Close())

	code, out := cli(t, "inspect", "-brokers", broker)
	require.Equal(t, 0, code)
	assert.Regexp(t, `(?m)^2\s+collector\s+schema\s+web\s`, out)
	assert.Regexp(t, `(?m)^1\s+collector\s+size\s+web\s`, out)
	assert.Regexp(t, `(?m)^1\s+processor\s+processing\s+web\s`, out)
	code, out = cli(t, "inspect", "-brokers", broker, "-stage", "processor", "-records")
	require.Equal(t, 0, code)
	assert.Equal(t, 1, strings.Count(out, `"messageId":"proc-1"`), out)

	// Content errors: export, fix, replay the file.
	code, out = cli(t, "export", "-brokers", broker, "-stage", "collector", "-reason", "schema", "-source", "web")
	require.Equal(t, 0, code)
	lines := strings.Split(strings.TrimSpace(out), "\n")
	require.Len(t, lines, 2, out)
	fixed := filepath.Join(t.TempDir(), "web.ndjson")
	fixedBody := strings.NewReplacer(`"score":9`, `"score":6`, `"score":12`, `"score":7`).Replace(out)
	require.NoError(t, os.WriteFile(fixed, []byte(fixedBody), 0o600))

	url = startCollector(t, bin, broker).URL // default limits: the size cause is fixed too
	replayFile := []string{"replay", "-brokers", broker, "-collector", url, "-write-keys", "web:" + webKey, "-file", fixed, "-source", "web"}
	code, out = cli(t, replayFile...)
	require.Equal(t, 0, code, out)
	r := report(t, out)
	assert.Equal(t, 2, r.Accepted, out)
	assert.Zero(t, r.Rejected, out)

	// Limit and processor errors: replay straight from the DLQ, resumable.
	offsets := filepath.Join(t.TempDir(), "offsets.json")
	replayDLQ := []string{"replay", "-brokers", broker, "-collector", url, "-write-keys", "web:" + webKey,
		"-reason", "size,processing", "-offsets", offsets, "-batch", "1"}
	code, out = cli(t, replayDLQ...)
	require.Equal(t, 0, code, out)
	r = report(t, out)
	assert.Equal(t, 1, r.Accepted, out)
	assert.Equal(t, 1, r.Produced, out)

	// Run again: the offsets file makes the second replay start after the
	// first; the file replay again is answered as duplicates.
	code, out = cli(t, replayDLQ...)
	require.Equal(t, 0, code, out)
	r = report(t, out)
	assert.Zero(t, r.Selected, out)
	assert.Zero(t, r.Produced+r.Sent, out)
	code, out = cli(t, replayFile...)
	require.Equal(t, 0, code, out)
	assert.Equal(t, 2, report(t, out).Duplicates, out)

	ids, at := storedIDs(t, broker)
	assert.Equal(t, map[string]int{"ok-1": 1, "bad-1": 1, "bad-2": 1, "big-1": 1, "proc-1": 1}, ids,
		"every event is in cem.events exactly once")
	assert.WithinDuration(t, posted.Add(-time.Minute), at["bad-1"], 5*time.Second,
		"a replayed event keeps the time of its first receipt, corrected for its clock skew (sentAt one minute after timestamp)")
}

func TestUsageErrorsExit2(t *testing.T) {
	for _, args := range [][]string{nil, {"nope"}, {"inspect", "-bogus"}, {"replay", "-write-keys", "nokey"},
		{"replay", "-file", "x.ndjson"}, {"replay", "-batch", "0"}} {
		code, _ := cli(t, args...)
		assert.Equal(t, 2, code, fmt.Sprint(args))
	}
}
