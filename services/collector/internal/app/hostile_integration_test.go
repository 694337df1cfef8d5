package app_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cemhq/cem/pkg/devkafka"
	"github.com/cemhq/cem/pkg/events"
	"github.com/cemhq/cem/pkg/itest"
	"github.com/cemhq/cem/services/collector/internal/app"
)

// The attacks of issue 17 against the real collector binary (built by the
// test, run as its own process so that its memory can be measured) and the
// dev broker. Attackers dial from 127.0.0.2 and up, the legitimate client
// from 127.0.0.1.

var (
	buildOnce sync.Once
	binDir    string
	binary    string
	buildErr  error
)

// TestMain removes the collector binary the tests built.
func TestMain(m *testing.M) {
	code := m.Run()
	if binDir != "" {
		_ = os.RemoveAll(binDir)
	}
	os.Exit(code)
}

// collectorBinary builds the collector once per test run.
func collectorBinary(t *testing.T) string {
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "cem-collector-bin")
		if err != nil {
			buildErr = err
			return
		}
		binDir, binary = dir, filepath.Join(dir, "collector")
		out, err := exec.Command("go", "build", "-o", binary, "github.com/cemhq/cem/services/collector").CombinedOutput()
		if err != nil {
			buildErr = fmt.Errorf("go build: %v: %s", err, out)
		}
	})
	require.NoError(t, buildErr)
	return binary
}

// process is a collector process.
type process struct {
	url string
	cmd *exec.Cmd
}

// startProcess runs the collector binary against a fresh dev broker with
// env on top of the test defaults.
func startProcess(t *testing.T, env ...string) *process {
	bin := collectorBinary(t)
	b, err := devkafka.Start(devkafka.Config{Addr: "127.0.0.1:0", DataDir: t.TempDir(), Partitions: 3})
	require.NoError(t, err)
	t.Cleanup(b.Close)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := ln.Addr().String()
	_ = ln.Close()
	cmd := exec.Command(bin)
	cmd.Env = append(os.Environ(), "CEM_HTTP_ADDR="+addr, "CEM_KAFKA_BROKERS="+b.Addr(),
		"CEM_WRITE_KEYS=web:key-web,callcenter:key-cc", "CEM_DEDUP_SIZE=10000", "CEM_LOG_LEVEL=warn")
	cmd.Env = append(cmd.Env, env...)
	var logs bytes.Buffer
	cmd.Stdout, cmd.Stderr = &logs, &logs
	require.NoError(t, cmd.Start())
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		if t.Failed() {
			t.Logf("collector log:\n%s", logs.String())
		}
	})
	p := &process{url: "http://" + addr, cmd: cmd}
	itest.Eventually(t, 30*time.Second, func() bool {
		resp, err := http.Get(p.url + "/readyz")
		if err != nil {
			return false
		}
		_ = resp.Body.Close()
		return resp.StatusCode == http.StatusOK
	}, "collector process ready")
	return p
}

// legitimate posts a small batch with the call-centre key every interval
// until ctx ends, recording status and latency.
func legitimate(ctx context.Context, url string, interval time.Duration, lat *itest.Outcomes) {
	client := &http.Client{Timeout: 20 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 4}}
	for i := 0; ctx.Err() == nil; i++ {
		body := fmt.Sprintf(`{"batch":[{"type":"track","userId":"u-%d","event":"Ticket Opened","properties":{"ticket_id":"t-%d","channel":"phone"}}]}`, i, i)
		req, _ := http.NewRequest(http.MethodPost, url+"/v1/batch", strings.NewReader(body))
		req.SetBasicAuth("key-cc", "")
		start := time.Now()
		resp, err := client.Do(req)
		code := 0
		if err == nil {
			code = resp.StatusCode
			_ = resp.Body.Close()
		}
		lat.Add(code, time.Since(start))
		select {
		case <-ctx.Done():
		case <-time.After(interval):
		}
	}
}

func gzipBomb(t *testing.T, inflated int) []byte {
	var buf bytes.Buffer
	zw, err := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	require.NoError(t, err)
	_, err = zw.Write(bytes.Repeat([]byte(" "), inflated))
	require.NoError(t, err)
	require.NoError(t, zw.Close())
	return buf.Bytes()
}

// TestMemoryUnderGzipBombsIntegration: 40 connections without a key (and
// 20 with the public browser key) hold gzip bodies of ~20 KB that inflate
// to 20 MiB, reconnecting when answered; the collector runs with
// GOMEMLIMIT=160MiB and CEM_MAX_INFLIGHT_BYTES=64MiB. Its RSS, sampled
// every 20 ms, stays below 160 MiB, and every legitimate request gets 200.
// (Before the fix: RSS 75 MB -> 1.17 GB, OOM-killed in a 1 GiB limit.)
func TestMemoryUnderGzipBombsIntegration(t *testing.T) {
	const bound = 160 << 20
	p := startProcess(t, "GOMEMLIMIT=160MiB", "CEM_MAX_INFLIGHT_BYTES=67108864")
	host := strings.TrimPrefix(p.url, "http://")
	bomb := gzipBomb(t, 20<<20)
	require.Less(t, len(bomb), 25<<10)
	head := func(path, auth string) string {
		return fmt.Sprintf("POST %s HTTP/1.1\r\nHost: %s\r\nContent-Type: application/json\r\nContent-Encoding: gzip\r\nContent-Length: %d%s", path, host, len(bomb), auth)
	}
	publicKey := "\r\nAuthorization: Basic a2V5LXdlYjo=" // key-web:

	ctx, cancel := context.WithTimeout(context.Background(), 8*time.Second)
	defer cancel()
	var (
		wg      sync.WaitGroup
		peak    atomic.Int64
		samples atomic.Int64
		lat     itest.Outcomes
		unauth  itest.AttackStats
		withKey itest.AttackStats
	)
	rssStart, err := itest.ProcessRSS(p.cmd.Process.Pid)
	require.NoError(t, err)
	wg.Go(func() {
		for ctx.Err() == nil {
			if rss, err := itest.ProcessRSS(p.cmd.Process.Pid); err == nil {
				samples.Add(1)
				if rss > peak.Load() {
					peak.Store(rss)
				}
			}
			time.Sleep(20 * time.Millisecond)
		}
	})
	var inflightPeak atomic.Int64 // cem_collector_inflight_bytes: the reservations made while reading
	wg.Go(func() {
		for ctx.Err() == nil {
			if v := gauge(p.url, "cem_collector_inflight_bytes"); v > inflightPeak.Load() {
				inflightPeak.Store(v)
			}
			time.Sleep(10 * time.Millisecond)
		}
	})
	wg.Go(func() {
		itest.Attack(ctx, host, 40, 500, 0, itest.HeldRequest{Head: head("/v1/import", ""), Body: bomb, Hold: 16}, &unauth)
	})
	wg.Go(func() {
		itest.Attack(ctx, host, 20, 500, 0, itest.HeldRequest{Head: head("/v1/batch", publicKey), Body: bomb, Hold: 16}, &withKey)
	})
	wg.Go(func() { legitimate(ctx, p.url, 20*time.Millisecond, &lat) })
	wg.Wait()

	t.Logf("RSS: %d MiB before, peak %d MiB under attack (%d samples; bound %d MiB)", rssStart>>20, peak.Load()>>20, samples.Load(), bound>>20)
	t.Logf("without key: %s", unauth.Summary())
	t.Logf("with the public key: %s", withKey.Summary())
	codes := lat.Codes()
	t.Logf("legitimate: codes %v, latency p50 %s p99 %s max %s", codes, lat.Quantile(.5), lat.Quantile(.99), lat.Quantile(1))
	t.Logf("cem_collector_inflight_bytes peaked at %d KiB (budget 64 MiB)", inflightPeak.Load()>>10)
	assert.Less(t, peak.Load(), int64(bound), "RSS under attack")
	assert.Positive(t, inflightPeak.Load(), "bodies being read are reserved (the gauge stayed 0 before the fix)")
	assert.LessOrEqual(t, inflightPeak.Load(), int64(64<<20))
	assert.Greater(t, unauth.Sent.Load(), int64(40), "the attack ran")
	assert.Zero(t, unauth.Codes()[http.StatusOK]+withKey.Codes()[http.StatusOK], "no bomb accepted")
	assert.Greater(t, unauth.Codes()[http.StatusRequestEntityTooLarge], 0, "bombs without a key are refused (413)")
	assert.Greater(t, withKey.Codes()[http.StatusRequestEntityTooLarge], 0, "bombs with the public key are refused (413)")
	assert.Greater(t, codes[http.StatusOK], 20, "legitimate requests were served")
	assert.Equal(t, sum(codes), codes[http.StatusOK], "every legitimate request got 200: %v", codes)
}

// TestTinyEventBodiesIntegration: bodies of one-byte events, each of which
// decoded into a ~1.3 KB item, against the real collector (GOMEMLIMIT
// 160 MiB, 64 MiB budget): 40 connections posting 64 KB bodies of 32,000
// events without a key and 10 posting 500 KB bodies of 250,000 events with
// the public key. Key-less bodies are refused (401) before decoding, the
// others (413) for their event count; RSS stays under the bound and
// legitimate requests get 200. (Before the fix, in process: 64 key-less
// bodies at once took 1.25 GB of heap, one keyed body 627 MB.)
func TestTinyEventBodiesIntegration(t *testing.T) {
	const bound = 160 << 20
	p := startProcess(t, "GOMEMLIMIT=160MiB", "CEM_MAX_INFLIGHT_BYTES=67108864")
	host := strings.TrimPrefix(p.url, "http://")
	tiny := func(n int) []byte {
		return []byte(`{"batch":[` + strings.TrimSuffix(strings.Repeat("0,", n), ",") + `]}`)
	}
	keyless, keyed := tiny(32000), tiny(250000)
	head := func(n int, auth string) string {
		return fmt.Sprintf("POST /v1/batch HTTP/1.1\r\nHost: %s\r\nContent-Type: application/json\r\nContent-Length: %d%s", host, n, auth)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 6*time.Second)
	defer cancel()
	var (
		wg              sync.WaitGroup
		peak            atomic.Int64
		lat             itest.Outcomes
		unauth, withKey itest.AttackStats
	)
	rssStart, err := itest.ProcessRSS(p.cmd.Process.Pid)
	require.NoError(t, err)
	wg.Go(func() {
		for ctx.Err() == nil {
			if rss, err := itest.ProcessRSS(p.cmd.Process.Pid); err == nil && rss > peak.Load() {
				peak.Store(rss)
			}
			time.Sleep(20 * time.Millisecond)
		}
	})
	wg.Go(func() {
		itest.Attack(ctx, host, 40, 1000, 0, itest.HeldRequest{Head: head(len(keyless), ""), Body: keyless}, &unauth)
	})
	wg.Go(func() {
		itest.Attack(ctx, host, 10, 1000, 0, itest.HeldRequest{Head: head(len(keyed), "\r\nAuthorization: Basic a2V5LXdlYjo="), Body: keyed}, &withKey)
	})
	wg.Go(func() { legitimate(ctx, p.url, 20*time.Millisecond, &lat) })
	wg.Wait()

	codes := lat.Codes()
	t.Logf("RSS: %d MiB before, peak %d MiB under attack (bound %d MiB)", rssStart>>20, peak.Load()>>20, bound>>20)
	t.Logf("without key: %s", unauth.Summary())
	t.Logf("with the public key: %s", withKey.Summary())
	t.Logf("legitimate: codes %v, latency p50 %s p99 %s", codes, lat.Quantile(.5), lat.Quantile(.99))
	assert.Less(t, peak.Load(), int64(bound), "RSS under attack")
	assert.Greater(t, unauth.Codes()[http.StatusUnauthorized], 40, "key-less bodies refused (401)")
	assert.Greater(t, withKey.Codes()[http.StatusRequestEntityTooLarge], 10, "bodies of too many events refused (413)")
	assert.Zero(t, unauth.Codes()[http.StatusOK]+withKey.Codes()[http.StatusOK]+withKey.Codes()[http.StatusBadRequest], "nothing decoded")
	assert.Greater(t, codes[http.StatusOK], 20, "legitimate requests were served")
	assert.Equal(t, sum(codes), codes[http.StatusOK], "every legitimate request got 200: %v", codes)
}

// gauge scrapes one unlabelled gauge from the collector's /metrics (-1
// when it cannot).
func gauge(url, name string) int64 {
	resp, err := http.Get(url + "/metrics")
	if err != nil {
		return -1
	}
	defer resp.Body.Close()
	var buf bytes.Buffer
	_, _ = buf.ReadFrom(resp.Body)
	for _, line := range strings.Split(buf.String(), "\n") {
		if v, ok := strings.CutPrefix(line, name+" "); ok {
			f, err := strconv.ParseFloat(v, 64)
			if err == nil {
				return int64(f)
			}
		}
	}
	return -1
}

func sum(m map[int]int) int {
	n := 0
	for _, v := range m {
		n += v
	}
	return n
}

// TestSlowlorisIntegration: 1,100 connections without a key (more than the
// 1,024 global slots) from attacker addresses 127.0.0.2-251 send their headers and Content-Length: 60000, then one
// byte a second. With the default limits each is cut after about
// CEM_HTTP_BODY_GRACE (5 s) by the minimum body rate, and legitimate
// requests are served with 200 throughout. (Before the fix: every
// legitimate request got 503 for 25 s.)
func TestSlowlorisIntegration(t *testing.T) {
	p := startProcess(t)
	host := strings.TrimPrefix(p.url, "http://")
	body := bytes.Repeat([]byte("x"), 60000)
	req := itest.HeldRequest{
		Head: fmt.Sprintf("POST /v1/batch HTTP/1.1\r\nHost: %s\r\nContent-Type: text/plain\r\nContent-Length: %d", host, len(body)),
		Body: body, Hold: len(body) - 1,
	}
	ctx, cancel := context.WithTimeout(context.Background(), 14*time.Second)
	defer cancel()
	var (
		wg    sync.WaitGroup
		lat   itest.Outcomes
		slow  itest.AttackStats
		legit = make(chan struct{})
	)
	wg.Go(func() { itest.Attack(ctx, host, 1100, 10, time.Second, req, &slow) })
	wg.Go(func() {
		// Start once the attack connections are open.
		itest.Eventually(t, 10*time.Second, func() bool { return slow.Sent.Load() >= 1050 }, "attack connections open")
		close(legit)
		legitimate(ctx, p.url, 20*time.Millisecond, &lat)
	})
	wg.Wait()
	<-legit

	codes := lat.Codes()
	t.Logf("slow connections: %s", slow.Summary())
	t.Logf("legitimate: codes %v, latency p50 %s p99 %s max %s", codes, lat.Quantile(.5), lat.Quantile(.99), lat.Quantile(1))
	assert.GreaterOrEqual(t, slow.Sent.Load(), int64(1100))
	assert.Greater(t, slow.Codes()[http.StatusRequestTimeout], 500, "slow bodies are cut with 408")
	assert.Less(t, slow.Quantile(1), 8*time.Second, "no slow connection is held much beyond the 5 s grace")
	assert.Greater(t, codes[http.StatusOK], 20, "legitimate requests were served")
	assert.Equal(t, sum(codes), codes[http.StatusOK], "every legitimate request got 200: %v", codes)
	assert.Less(t, lat.Quantile(.99), time.Second, "legitimate p99 latency")
}

// TestFarFutureAndPastEventsIntegration: the Segment endpoints clamp a
// timestamp beyond the bounds to receivedAt (the client's time kept in
// originalTimestamp, enrichment.timeClamped set); /v1/import refuses such
// an event with reason time, and its neighbours are stored.
func TestFarFutureAndPastEventsIntegration(t *testing.T) {
	s := startStack(t)
	code, out := s.post("/v1/track", "key-web", `{"userId":"u1","event":"Bomb","messageId":"m-future","timestamp":"9999-12-31T00:00:00Z"}`)
	require.Equal(t, http.StatusOK, code, "%v", out)
	code, _ = s.post("/v1/track", "key-web", `{"userId":"u1","event":"Old","messageId":"m-past","timestamp":"1900-01-01T00:00:00Z"}`)
	require.Equal(t, http.StatusOK, code)
	code, out = s.post("/v1/import", "key-cc", `{"type":"track","userId":"u1","event":"Bomb","messageId":"i-future","timestamp":"9999-12-31T00:00:00Z"}
{"type":"track","userId":"u1","event":"Fine","messageId":"i-fine","timestamp":"2024-03-01T10:00:00Z"}`)
	require.Equal(t, http.StatusOK, code, "%v", out)
	assert.Equal(t, 1.0, out["accepted"])
	rej := out["rejected"].([]any)[0].(map[string]any)
	assert.Equal(t, "time", rej["reason"])
	assert.Contains(t, rej["error"], "line 1.timestamp: 9999-12-31T00:00:00Z is more than 24h0m0s in the future")

	got := decodeAll(t, s.read("cem.events", 3))
	for id, want := range map[string]string{"m-future": "future", "m-past": "past"} {
		ev := got[id]
		assert.Equal(t, want, ev.Enrichment.TimeClamped, id)
		assert.Equal(t, ev.ReceivedAt, ev.Timestamp, "%s: timestamp clamped to receivedAt", id)
		assert.WithinDuration(t, time.Now(), ev.Timestamp, time.Minute, id)
	}
	assert.Equal(t, 9999, got["m-future"].OriginalTimestamp.Year(), "the client's time is kept")
	assert.Equal(t, 1900, got["m-past"].OriginalTimestamp.Year())
	assert.Equal(t, time.Date(2024, 3, 1, 10, 0, 0, 0, time.UTC), got["i-fine"].Timestamp)
	var f events.Failure
	require.NoError(t, json.Unmarshal(s.read("cem.events.dlq", 1)[0].Value, &f))
	assert.Equal(t, events.ReasonTime, f.Reason)
	assert.Equal(t, "i-future", f.MessageID)
}

// TestOversizedDLQRecordKeepsNeighboursIntegration: an import with a 2 MB
// event among other rejected ones writes every rejection to the DLQ (the
// oversized one cut and flagged), and no DLQ record keeps a write key.
func TestOversizedDLQRecordKeepsNeighboursIntegration(t *testing.T) {
	s := startStack(t)
	huge := `{"type":"track","userId":"u1","event":"Huge","messageId":"d-huge","writeKey":"key-cc","properties":{"blob":"` + strings.Repeat("\\u0001", 350<<10) + `"}}`
	require.Greater(t, len(huge), 2<<20)
	body := strings.Join([]string{
		`{"type":"track","userId":"u1","event":"CSAT Submitted","properties":{"score":9},"messageId":"d-schema"}`,
		huge,
		`{"type":"track","userId":"u1","event":"Fine","messageId":"d-fine"}`,
		`{"type":"track","userId":"u1","event":"NPS Submitted","properties":{"score":11},"messageId":"d-schema-2","writeKey":"key-cc"}`,
	}, "\n")
	code, out := s.post("/v1/import", "key-cc", body)
	require.Equal(t, http.StatusOK, code, "%v", out)
	assert.Equal(t, 1.0, out["accepted"])
	assert.Len(t, out["rejected"], 3)

	// A body that carries its key, rejected: the key is not in the DLQ.
	req, err := http.NewRequest(http.MethodPost, s.url+"/v1/track", strings.NewReader(`{"writeKey":"key-web","userId":"u1","event":"CSAT Submitted","properties":{"score":0},"messageId":"d-beacon"}`))
	require.NoError(t, err)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	_ = resp.Body.Close()
	require.Equal(t, http.StatusBadRequest, resp.StatusCode)

	byID := map[string]events.Failure{}
	for _, m := range s.read("cem.events.dlq", 4) {
		assert.NotContains(t, string(m.Value), "key-cc")
		assert.NotContains(t, string(m.Value), "key-web")
		var f events.Failure
		require.NoError(t, json.Unmarshal(m.Value, &f))
		byID[f.MessageID] = f
	}
	require.Len(t, byID, 4, "every rejected event reached the DLQ")
	h := byID["d-huge"]
	assert.Equal(t, events.ReasonSize, h.Reason)
	assert.True(t, h.Truncated)
	assert.Equal(t, len(huge), h.RawBytes)
	assert.Equal(t, events.DefaultMaxRawBytes, len(h.Raw))
	assert.False(t, byID["d-schema"].Truncated)
	assert.Contains(t, byID["d-beacon"].Raw, `"writeKey":"[redacted]"`)
}

// TestEscapedDLQRecordFitsKafkaIntegration: at the largest
// CEM_DLQ_MAX_RAW_BYTES (262144), a rejected event of < characters
// (6 bytes each in encoding/json's default output) made a 1.5 MB DLQ
// record; kafka-go refused it (BatchBytes 1 MiB) and failed the whole DLQ
// write, losing its neighbour's record too.
func TestEscapedDLQRecordFitsKafkaIntegration(t *testing.T) {
	s := startStack(t, func(c *app.Config) { c.DLQMaxRawBytes = 256 << 10 })
	body := strings.Join([]string{
		`{"type":"track","userId":"u1","event":"Huge","messageId":"x-huge","properties":{"blob":"` + strings.Repeat("<", 400<<10) + `"}}`,
		`{"type":"track","userId":"u1","event":"CSAT Submitted","properties":{"score":9},"messageId":"x-schema"}`,
		`{"type":"track","userId":"u1","event":"Fine","messageId":"x-fine"}`,
	}, "\n")
	code, out := s.post("/v1/import", "key-cc", body)
	require.Equal(t, http.StatusOK, code, "%v", out)
	require.Len(t, out["rejected"], 2)
	byID := map[string]events.Failure{}
	for _, m := range s.read("cem.events.dlq", 2) {
		var f events.Failure
		require.NoError(t, json.Unmarshal(m.Value, &f))
		byID[f.MessageID] = f
	}
	require.Len(t, byID, 2, "both rejected events reached the DLQ")
	assert.Len(t, byID["x-huge"].Raw, 256<<10, "the configured cap is kept")
	assert.True(t, byID["x-huge"].Truncated)
}
