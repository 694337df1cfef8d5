package ingest_test

import (
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cemhq/cem/pkg/itest"
	"github.com/cemhq/cem/pkg/telemetry"
	"github.com/cemhq/cem/services/collector/internal/ingest"
)

// tinyBatch is a batch of n one-byte events (each an invalid event).
func tinyBatch(n int, key string) string {
	head := `{`
	if key != "" {
		head += `"writeKey":"` + key + `",`
	}
	return head + `"batch":[` + strings.TrimSuffix(strings.Repeat("0,", n), ",") + `]}`
}

// allocated is the bytes allocated while f runs (all goroutines).
func allocated(f func()) uint64 {
	var m0, m1 runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&m0)
	f()
	runtime.ReadMemStats(&m1)
	return m1.TotalAlloc - m0.TotalAlloc
}

// A body that carries its key is refused before its events are decoded
// when the key is missing or unknown: the review's 64 KB bodies of 32,000
// one-byte events each allocated ~20 MB of decoded items before their 401
// (64 at once from one address: 1.25 GB of heap).
func TestBodyKeyIsCheckedBeforeDecoding(t *testing.T) {
	f := newFixture(t)
	for _, key := range []string{"", "guessed"} {
		body := tinyBatch(32000, key)
		require.Less(t, len(body), 64<<10)
		var code int
		n := allocated(func() {
			w, _ := f.post("/v1/batch", "", body)
			code = w.Code
		})
		assert.Equal(t, http.StatusUnauthorized, code)
		t.Logf("key %q: %d-byte body, %d events: %d bytes allocated", key, len(body), 32000, n)
		assert.Less(t, n, uint64(1<<20), "allocated for a body refused for its key")
	}
	assert.Equal(t, 2.0, f.counter("cem_collector_body_rejections_total", map[string]string{"reason": "unknown_key"}))
	w, _ := f.post("/v1/batch", "", tinyBatch(10, "k-web"))
	assert.Equal(t, http.StatusBadRequest, w.Code, "a known key in the body is decoded: every event is invalid")
}

// A request holds at most MaxBatchEvents events: the review's 500 KB body
// of 250,000 one-byte events with the public key took 627 MB of heap and
// answered 250,000 rejections (20 MB) and wrote 250,000 DLQ records.
func TestEventsPerRequestAreCapped(t *testing.T) {
	f := newFixture(t, func(c *ingest.Config) { c.MaxBatchEvents = 2000 })
	body := tinyBatch(250000, "")
	var code int
	var resp ingest.Response
	n := allocated(func() {
		var w *httptest.ResponseRecorder
		w, resp = f.post("/v1/batch", "k-web", body)
		code = w.Code
	})
	t.Logf("%d-byte body of 250,000 events: %d, %d bytes allocated", len(body), code, n)
	assert.Equal(t, http.StatusRequestEntityTooLarge, code)
	assert.Contains(t, resp.Error, "more than the limit of 2000 events")
	assert.Less(t, n, uint64(4<<20), "allocated for a body refused for its events")
	assert.Empty(t, f.sink.dlq)
	assert.Equal(t, 1.0, f.counter("cem_collector_body_rejections_total", map[string]string{"reason": "too_many_events"}))

	w, _ := f.post("/v1/batch", "k-web", tinyBatch(2000, ""))
	assert.Equal(t, http.StatusBadRequest, w.Code, "at the limit: decoded")
}

// The answer lists the first MaxRejectionsListed rejections, and only
// those go to the DLQ; the rest are counted.
func TestRejectionsListedAreCapped(t *testing.T) {
	f := newFixture(t, func(c *ingest.Config) { c.MaxRejectionsListed = 100 })
	ok := `{"type":"track","userId":"u1","event":"e"}`
	w, resp := f.post("/v1/batch", "k-web", `{"batch":[`+ok+`,`+strings.TrimSuffix(strings.Repeat("0,", 1500), ",")+`]}`)
	require.Equal(t, http.StatusOK, w.Code, w.Body.String())
	assert.Equal(t, 1, resp.Accepted)
	assert.Len(t, resp.Rejected, 100)
	assert.Equal(t, 1, resp.Rejected[0].Index)
	assert.Equal(t, 1500, resp.RejectedCount)
	assert.Contains(t, resp.Error, "1500 events rejected; rejected lists the first 100")
	assert.Less(t, w.Body.Len(), 20<<10)
	f.sink.mu.Lock()
	assert.Len(t, f.sink.dlq, 100)
	f.sink.mu.Unlock()
	assert.Equal(t, 1400.0, f.counter("cem_collector_rejections_unlisted_total", nil))

	w, resp = f.post("/v1/batch", "k-web", tinyBatch(3, ""))
	assert.Equal(t, http.StatusBadRequest, w.Code)
	assert.Len(t, resp.Rejected, 3)
	assert.Zero(t, resp.RejectedCount, "all listed")
}

// Memory is reserved per event as well as per byte (before, a 500 KB body
// of one-byte events reserved 5 MB and its decoding took 627 MB).
func TestMemoryIsReservedPerEvent(t *testing.T) {
	f := newFixture(t, func(c *ingest.Config) { c.MaxInflightBytes = 8 << 20 })
	f.sink.hold = make(chan struct{})
	ev := `{"type":"track","userId":"u1","event":"e"}`
	body := `{"batch":[` + strings.TrimSuffix(strings.Repeat(ev+",", 2000), ",") + `]}`
	done := make(chan int, 1)
	go func() {
		w, _ := f.post("/v1/batch", "k-web", body)
		done <- w.Code
	}()
	itest.Eventually(t, 5*time.Second, func() bool { return f.sink.waiting.Load() == 1 }, "first request waits for Kafka")
	// 88 KB of body: 0.9 MB at ten times, 4 MB more for its 2,000 events.
	w, _ := f.post("/v1/batch", "k-web", body)
	assert.Equal(t, http.StatusServiceUnavailable, w.Code, "a second such request does not fit in 8 MB")
	assert.Equal(t, 1.0, f.counter("cem_collector_overload_rejections_total", map[string]string{"cause": "memory"}))
	close(f.sink.hold)
	assert.Equal(t, http.StatusOK, <-done)
}

// budgetServer is a real HTTP server (the collector's timeouts) in front
// of a handler, trusting X-Forwarded-For from the loopback so that one
// test can be many client addresses.
func budgetServer(t *testing.T, mut func(*ingest.Config)) (*httptest.Server, *prometheus.Registry) {
	cfg := config()
	cfg.TrustedProxies = []string{"127.0.0.0/8"}
	cfg.MaxConcurrentPerClient = 128
	cfg.MaxInflightBytes = 256 << 20
	if mut != nil {
		mut(&cfg)
	}
	reg := prometheus.NewRegistry()
	h, err := ingest.New(cfg, &memSink{}, nil, reg, slog.New(slog.DiscardHandler))
	require.NoError(t, err)
	mux := http.NewServeMux()
	h.Register(mux)
	srv := httptest.NewUnstartedServer(nil)
	// The tests' header-only connections must hold their slots and
	// reservations while the test looks: the body guard ends a body that
	// sends nothing after its grace (5 s by default), and on a loaded
	// machine (test.sh) the first of 128 connections reached it before the
	// last one was reading, so the address never had all its slots taken.
	// The grace is capped by the body timeout (30 s by default), which cut
	// them the same way in a later test.sh run: both outlast the tests'
	// 60 s waits.
	srv.Config = telemetry.HTTPConfig{BodyGrace: 2 * time.Minute, BodyTimeout: 2 * time.Minute}.Server(mux)
	srv.Start()
	t.Cleanup(srv.Close)
	return srv, reg
}

func gaugeValue(t *testing.T, reg *prometheus.Registry, name string) float64 {
	mfs, err := reg.Gather()
	require.NoError(t, err)
	for _, mf := range mfs {
		if mf.GetName() == name {
			return mf.GetMetric()[0].GetGauge().GetValue()
		}
	}
	return 0
}

// headersOnly opens n connections that send a request's headers and no
// body byte; they are closed at the end of the test.
func headersOnly(t *testing.T, addr string, n int, hdr string) {
	for range n {
		c, err := net.Dial("tcp", addr)
		require.NoError(t, err)
		t.Cleanup(func() { c.Close() })
		_, err = io.WriteString(c, hdr)
		require.NoError(t, err)
	}
}

func legitBatch(t *testing.T, url, from string) (int, string) {
	ev := `{"type":"track","userId":"u1","event":"Product Viewed","properties":{"pad":"` + strings.Repeat("x", 1400) + `"}}`
	req, err := http.NewRequest(http.MethodPost, url+"/v1/batch", strings.NewReader(`{"batch":[`+strings.TrimSuffix(strings.Repeat(ev+",", 20), ",")+`]}`))
	require.NoError(t, err)
	req.SetBasicAuth("k-web", "")
	req.Header.Set("X-Forwarded-For", from)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// A claimed Content-Length reserves at most 64 KiB before the bytes
// arrive: the review's 5 addresses x 128 connections sending only headers
// with Content-Length 512000 reserved the whole 256 MiB budget (a request
// from another address got 503); now they hold 5 x 128 x 64 KiB = 40 MiB.
func TestClaimedLengthReservesLittleBeforeBytesArrive(t *testing.T) {
	srv, reg := budgetServer(t, func(c *ingest.Config) { c.MaxInflightBytesPerClient = 0 })
	for ip := 1; ip <= 5; ip++ {
		headersOnly(t, srv.Listener.Addr().String(), 128, fmt.Sprintf(
			"POST /v1/batch HTTP/1.1\r\nHost: x\r\nAuthorization: Basic ay13ZWI6\r\nX-Forwarded-For: 198.51.100.%d\r\nContent-Length: 512000\r\n\r\n", ip))
	}
	want := float64(5 * 128 * (64<<10 + 1))
	itest.Eventually(t, 10*time.Second, func() bool { return gaugeValue(t, reg, "cem_collector_inflight_bytes") >= want },
		"every connection reserved its first buffer")
	assert.Equal(t, want, gaugeValue(t, reg, "cem_collector_inflight_bytes"), "64 KiB + 1 per connection, not the claimed length")
	code, body := legitBatch(t, srv.URL, "192.0.2.99")
	assert.Equal(t, http.StatusOK, code, body)
}

// One address gets at most MaxInflightBytesPerClient of the budget: its
// further requests get 429 while another address is served.
func TestClientAddressMemoryShare(t *testing.T) {
	srv, reg := budgetServer(t, func(c *ingest.Config) { c.MaxInflightBytesPerClient = 4 << 20 })
	headersOnly(t, srv.Listener.Addr().String(), 128,
		"POST /v1/batch HTTP/1.1\r\nHost: x\r\nAuthorization: Basic ay13ZWI6\r\nX-Forwarded-For: 198.51.100.1\r\nContent-Length: 512000\r\n\r\n")
	c := counterOf(reg)
	itest.Eventually(t, 10*time.Second, func() bool {
		return c("cem_collector_overload_rejections_total", "client_memory") == float64(128-(4<<20)/(64<<10+1))
	}, "the connections beyond the address's share were refused")
	assert.LessOrEqual(t, gaugeValue(t, reg, "cem_collector_inflight_bytes"), float64(4<<20))
	code, body := legitBatch(t, srv.URL, "198.51.100.1")
	assert.Equal(t, http.StatusTooManyRequests, code, body)
	assert.Contains(t, body, "memory share of this client address")
	code, body = legitBatch(t, srv.URL, "192.0.2.99")
	assert.Equal(t, http.StatusOK, code, body)
}

func counterOf(reg *prometheus.Registry) func(name, cause string) float64 {
	return func(name, cause string) float64 {
		mfs, _ := reg.Gather()
		for _, mf := range mfs {
			if mf.GetName() != name {
				continue
			}
			for _, m := range mf.GetMetric() {
				for _, lp := range m.GetLabel() {
					if lp.GetValue() == cause {
						return m.GetCounter().GetValue()
					}
				}
			}
		}
		return 0
	}
}

// An unauthenticated gzip request reserves nothing for its gzip reader
// until its gzip header arrived (it reserved 64 KiB at once: 128 such
// connections of one address held 8 MiB without sending a byte).
func TestGzipReservesAfterItsHeader(t *testing.T) {
	// The connections are unauthenticated: their reads also end after
	// UnauthBodyTimeout (10 s by default), which must outlast the wait
	// below on a loaded machine, as the guard's grace does (budgetServer).
	srv, reg := budgetServer(t, func(c *ingest.Config) { c.UnauthBodyTimeout = 2 * time.Minute })
	// 129 connections: 128 take the address's slots and one is refused,
	// whichever the server reads last. The test waits for that refusal
	// before it probes: a probe sent while the server was still reading
	// the 128 took a slot, one of them was refused instead, and only 127
	// held slots after the probe (a flake in test.sh, and one run in
	// three on an idle machine).
	headersOnly(t, srv.Listener.Addr().String(), 129,
		"POST /v1/track HTTP/1.1\r\nHost: x\r\nContent-Encoding: gzip\r\nX-Forwarded-For: 198.51.100.1\r\nContent-Length: 65536\r\n\r\n")
	c := counterOf(reg)
	itest.Eventually(t, 60*time.Second, func() bool {
		return c("cem_collector_overload_rejections_total", "client") == 1
	}, "128 connections hold the address's slots; the 129th is refused")
	code, body := legitBatch(t, srv.URL, "198.51.100.1")
	assert.Equal(t, http.StatusTooManyRequests, code, body)
	assert.Zero(t, gaugeValue(t, reg, "cem_collector_inflight_bytes"), "128 connections wait for their gzip header and reserve nothing")
}

// The addresses of one IPv6 /64 share its slots (and memory share).
func TestIPv6SlotsPerPrefix(t *testing.T) {
	f := newFixture(t, func(c *ingest.Config) { c.MaxConcurrentPerClient = 1 })
	f.sink.hold = make(chan struct{})
	post := func(addr string) int {
		r := httptest.NewRequest(http.MethodPost, "/v1/track", strings.NewReader(`{"userId":"u1","event":"x"}`))
		r.RemoteAddr = addr
		r.SetBasicAuth("k-web", "")
		w := httptest.NewRecorder()
		f.srv.ServeHTTP(w, r)
		return w.Code
	}
	done := make(chan int, 1)
	go func() { done <- post("[2001:db8:1:2::1]:1000") }()
	itest.Eventually(t, 5*time.Second, func() bool { return f.sink.waiting.Load() == 1 }, "first request waits for Kafka")
	assert.Equal(t, http.StatusTooManyRequests, post("[2001:db8:1:2:ffff::9]:1000"), "same /64")
	go func() { done <- post("[2001:db8:1:3::1]:1000") }()
	itest.Eventually(t, 5*time.Second, func() bool { return f.sink.waiting.Load() == 2 }, "another /64 is served")
	close(f.sink.hold)
	assert.Equal(t, http.StatusOK, <-done)
	assert.Equal(t, http.StatusOK, <-done)
}
