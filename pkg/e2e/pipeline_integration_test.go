package e2e

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cemhq/cem/pkg/chconn"
	"github.com/cemhq/cem/pkg/itest"
)

// buildService compiles ./services/<name> from the workspace into dir,
// static like the images (CGO_ENABLED=0).
func buildService(t *testing.T, dir, name string) string {
	t.Helper()
	root, err := repoPath()
	require.NoError(t, err)
	bin := filepath.Join(dir, name)
	cmd := exec.Command("go", "build", "-o", bin, "./services/"+name)
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "go build ./services/%s: %s", name, out)
	return bin
}

// service is a cem binary running as a subprocess.
type service struct {
	name string
	cmd  *exec.Cmd
	log  string
	done chan error
}

// startService runs bin with the given CEM_* environment (and PATH/HOME
// only), logging to a file that is printed when the test fails.
func startService(t *testing.T, bin string, env map[string]string) *service {
	t.Helper()
	logFile := filepath.Join(t.TempDir(), filepath.Base(bin)+".log")
	f, err := os.Create(logFile)
	require.NoError(t, err)
	cmd := exec.Command(bin)
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + os.Getenv("HOME")}
	for k, v := range env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	cmd.Stdout, cmd.Stderr = f, f
	require.NoError(t, cmd.Start())
	s := &service{name: filepath.Base(bin), cmd: cmd, log: logFile, done: make(chan error, 1)}
	go func() { s.done <- cmd.Wait(); _ = f.Close() }()
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		if t.Failed() {
			b, _ := os.ReadFile(logFile)
			t.Logf("%s log:\n%s", s.name, b)
		}
	})
	return s
}

// stop sends SIGTERM and returns the exit error (nil for exit 0).
func (s *service) stop(timeout time.Duration) error {
	_ = s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-s.done:
		return err
	case <-time.After(timeout):
		return fmt.Errorf("%s did not exit within %s of SIGTERM", s.name, timeout)
	}
}

func ready(url string) bool {
	resp, err := http.Get(url)
	if err != nil {
		return false
	}
	_ = resp.Body.Close()
	return resp.StatusCode == http.StatusOK
}

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

	dir := t.TempDir()
	collectorBin := buildService(t, dir, "collector")
	processorBin := buildService(t, dir, "processor")
	collectorPort, err := freePort()
	require.NoError(t, err)
	adminPort, err := freePort()
	require.NoError(t, err)
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
	processor := startService(t, processorBin, with(map[string]string{
		"CEM_PROCESSOR_ADMIN_ADDR": "127.0.0.1:" + strconv.Itoa(adminPort), "CEM_PROCESSOR_GROUP": "cem-processor-" + run,
		"CEM_PROCESSOR_FLUSH_INTERVAL": "200ms", "CEM_KAFKA_ALERT_TOPIC": alerts,
	}))
	collector := startService(t, collectorBin, with(map[string]string{
		"CEM_HTTP_ADDR": "127.0.0.1:" + strconv.Itoa(collectorPort), "CEM_WRITE_KEYS": "web:" + run + "-key",
	}))
	collectorURL := "http://127.0.0.1:" + strconv.Itoa(collectorPort)
	adminURL := "http://127.0.0.1:" + strconv.Itoa(adminPort)
	itest.Eventually(t, 2*time.Minute, func() bool { return ready(adminURL + "/readyz") }, "processor ready (ClickHouse migrated)")
	itest.Eventually(t, time.Minute, func() bool { return ready(collectorURL + "/readyz") }, "collector ready")

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

	require.NoError(t, collector.stop(45*time.Second), "collector exits 0 on SIGTERM")
	require.NoError(t, processor.stop(60*time.Second), "processor exits 0 on SIGTERM")
}
