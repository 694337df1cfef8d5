package ingest_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cemhq/cem/pkg/events"
	"github.com/cemhq/cem/pkg/itest"
	"github.com/cemhq/cem/pkg/record"
	"github.com/cemhq/cem/pkg/suppress"
	"github.com/cemhq/cem/services/collector/internal/ingest"
)

// memSink records produced messages; fail makes Produce fail.
type memSink struct {
	mu        sync.Mutex
	msgs, dlq []record.Record
	fail      error
	// hold, when set, makes Produce wait until it is closed (a slow Kafka).
	// Like kafka-go's writer, a held write returns when ctx ends but the
	// messages are still written when hold is closed.
	hold    chan struct{}
	waiting atomic.Int32
}

func (s *memSink) Produce(ctx context.Context, m []record.Record) error {
	if s.hold != nil {
		s.waiting.Add(1)
		written := make(chan struct{})
		go func() {
			<-s.hold
			s.waiting.Add(-1)
			s.mu.Lock()
			s.msgs = append(s.msgs, m...)
			s.mu.Unlock()
			close(written)
		}()
		select {
		case <-written:
			return nil
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.fail != nil {
		return s.fail
	}
	s.msgs = append(s.msgs, m...)
	return nil
}

func (s *memSink) DeadLetter(_ context.Context, m []record.Record) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.dlq = append(s.dlq, m...)
	return nil
}

func (s *memSink) events(t *testing.T) []events.Event {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]events.Event, len(s.msgs))
	for i, m := range s.msgs {
		ev, err := events.Unmarshal(m.Value)
		require.NoError(t, err)
		require.Equal(t, ev.CustomerKey(), string(m.Key), "record key is the customer key")
		out[i] = ev
	}
	return out
}

type suppressList map[string]bool

func (s suppressList) Suppressed(id string) bool { return s[id] }
func (s suppressList) Hold() suppress.Held       { return s }
func (s suppressList) Release()                  {}

func config() ingest.Config {
	return ingest.Config{
		WriteKeys:      map[string]string{"k-web": "web", "k-cc": "callcenter"},
		ServerSources:  []string{"callcenter"},
		Limits:         events.DefaultLimits(),
		ImportLimits:   events.Limits{MaxEventBytes: 32 << 10, MaxBatchBytes: 8 << 20},
		ProduceTimeout: 2 * time.Second, DedupSize: 1000, DedupWindow: time.Hour,
		CORS: ingest.CORSConfig{Origins: []string{"https://shop.example"}}, TrustedProxies: []string{"10.0.0.0/8"}, Version: "test",
	}
}

type fixture struct {
	t    *testing.T
	sink *memSink
	srv  http.Handler
	reg  *prometheus.Registry
}

func newFixture(t *testing.T, mut ...func(*ingest.Config)) *fixture {
	cfg := config()
	for _, m := range mut {
		m(&cfg)
	}
	sink := &memSink{}
	reg := prometheus.NewRegistry()
	h, err := ingest.New(cfg, sink, suppressList{"erased-user": true}, reg, slog.New(slog.DiscardHandler))
	require.NoError(t, err)
	mux := http.NewServeMux()
	h.Register(mux)
	return &fixture{t: t, sink: sink, srv: mux, reg: reg}
}

func (f *fixture) post(path, key, body string, hdr ...string) (*httptest.ResponseRecorder, ingest.Response) {
	f.t.Helper()
	r := httptest.NewRequest(http.MethodPost, path, strings.NewReader(body))
	r.RemoteAddr = "203.0.113.9:5555"
	if key != "" {
		r.SetBasicAuth(key, "")
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		r.Header.Set(hdr[i], hdr[i+1])
	}
	w := httptest.NewRecorder()
	f.srv.ServeHTTP(w, r)
	var resp ingest.Response
	_ = json.Unmarshal(w.Body.Bytes(), &resp)
	return w, resp
}

const chromeUA = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36"

func TestEveryEndpoint(t *testing.T) {
	f := newFixture(t)
	bodies := map[string]string{
		"track":    `{"userId":"u1","event":"Signed Up","messageId":"m-track"}`,
		"identify": `{"anonymousId":"a1","userId":"u1","traits":{"email":"j@example.com"},"messageId":"m-identify"}`,
		"page":     `{"anonymousId":"a1","name":"Home","messageId":"m-page"}`,
		"screen":   `{"anonymousId":"a1","name":"Cart","messageId":"m-screen"}`,
		"group":    `{"userId":"u1","groupId":"acme","messageId":"m-group"}`,
		"alias":    `{"userId":"u1","previousId":"a1","messageId":"m-alias"}`,
	}
	for typ, body := range bodies {
		w, resp := f.post("/v1/"+typ, "k-web", body, "User-Agent", chromeUA, "Origin", "https://shop.example")
		require.Equal(t, http.StatusOK, w.Code, w.Body.String())
		assert.Equal(t, ingest.Response{Success: true, Accepted: 1}, resp)
	}
	w, resp := f.post("/v1/batch", "k-cc", `{"batch":[{"type":"track","userId":"u1","event":"Ticket Opened","properties":{"ticket_id":"t1","channel":"phone"},"messageId":"m-b1"}]}`)
	require.Equal(t, http.StatusOK, w.Code, w.Body.String())
	assert.Equal(t, 1, resp.Accepted)

	got := f.sink.events(t)
	require.Len(t, got, 7)
	byID := map[string]events.Event{}
	for _, ev := range got {
		byID[ev.MessageID] = ev
	}
	for typ := range bodies {
		ev := byID["m-"+typ]
		assert.Equal(t, events.Type(typ), ev.Type)
		assert.Equal(t, "web", ev.Source)
		assert.Equal(t, "203.0.113.9", ev.Enrichment.IP)
		assert.Equal(t, "Chrome", ev.Enrichment.Browser)
		assert.Equal(t, "desktop", ev.Enrichment.DeviceType)
		assert.False(t, ev.ReceivedAt.IsZero())
	}
	assert.Equal(t, "callcenter", byID["m-b1"].Source)
}

func TestMixedBatchKeepsValidAndDeadLetters(t *testing.T) {
	f := newFixture(t)
	w, resp := f.post("/v1/batch", "k-web", `{"batch":[
		{"type":"track","userId":"u1","event":"A","messageId":"ok-1"},
		{"type":"track","userId":"u1","event":"NPS Submitted","properties":{"score":11},"messageId":"bad-nps"},
		{"type":"track","event":"B","messageId":"no-id"},
		{"type":"track","userId":"u1","event":"C","messageId":"ok-2"}]}`)
	require.Equal(t, http.StatusOK, w.Code)
	assert.Equal(t, 2, resp.Accepted)
	require.Len(t, resp.Rejected, 2)
	assert.Equal(t, 1, resp.Rejected[0].Index)
	assert.Equal(t, "bad-nps", resp.Rejected[0].MessageID)
	assert.Equal(t, events.ReasonSchema, resp.Rejected[0].Reason)
	assert.Contains(t, resp.Rejected[0].Error, "batch[1].properties.score")
	assert.Equal(t, 2, resp.Rejected[1].Index)

	require.Len(t, f.sink.dlq, 2)
	var fail events.Failure
	require.NoError(t, json.Unmarshal(f.sink.dlq[0].Value, &fail))
	assert.Equal(t, "collector", fail.Stage)
	assert.Equal(t, "test", fail.Version)
	assert.Equal(t, events.ReasonSchema, fail.Reason)
	assert.Equal(t, "web", fail.Source)
	assert.Contains(t, fail.Raw, `"score":11`)
	assert.Equal(t, 2.0, f.counter("cem_collector_events_total", map[string]string{"source": "web", "type": "track", "outcome": "accepted"}))
	assert.Equal(t, 2.0, f.counter("cem_collector_events_rejected_total", map[string]string{"reason": "schema"}))
}

// counter returns the value of the counter series name{labels}.
func (f *fixture) counter(name string, labels map[string]string) float64 {
	mfs, err := f.reg.Gather()
	require.NoError(f.t, err)
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
	next:
		for _, m := range mf.GetMetric() {
			for _, lp := range m.GetLabel() {
				if v, ok := labels[lp.GetName()]; ok && v != lp.GetValue() {
					continue next
				}
			}
			return m.GetCounter().GetValue()
		}
	}
	return 0
}

func TestAllRejectedIs400(t *testing.T) {
	f := newFixture(t)
	w, resp := f.post("/v1/track", "k-web", `{"userId":"u1"}`)
	assert.Equal(t, http.StatusBadRequest, w.Code)
	assert.False(t, resp.Success)
	require.Len(t, resp.Rejected, 1)
	assert.Contains(t, resp.Rejected[0].Error, "event")
}

func TestAuth(t *testing.T) {
	f := newFixture(t)
	body := `{"userId":"u1","event":"A"}`
	w, _ := f.post("/v1/track", "", body)
	assert.Equal(t, http.StatusUnauthorized, w.Code, "no key")
	w, _ = f.post("/v1/track", "wrong", body)
	assert.Equal(t, http.StatusUnauthorized, w.Code, "unknown key")
	w, _ = f.post("/v1/track", "", `{"writeKey":"k-cc","userId":"u1","event":"A"}`)
	assert.Equal(t, http.StatusOK, w.Code, "writeKey in the body")
	w, _ = f.post("/v1/batch", "", `{"writeKey":"k-web","batch":[{"type":"track","userId":"u1","event":"A"}]}`)
	assert.Equal(t, http.StatusOK, w.Code)
	evs := f.sink.events(t)
	require.Len(t, evs, 2)
	assert.Equal(t, "callcenter", evs[0].Source)
	assert.Equal(t, "web", evs[1].Source)
	assert.NotEmpty(t, evs[1].MessageID, "messageId generated when missing")
	assert.True(t, evs[1].Enrichment.MessageIDGenerated)
}

func TestDeduplication(t *testing.T) {
	f := newFixture(t)
	body := `{"batch":[{"type":"track","userId":"u1","event":"A","messageId":"m1"},{"type":"track","userId":"u1","event":"A","messageId":"m1"},{"type":"track","userId":"u1","event":"B","messageId":"m2"}]}`
	_, resp := f.post("/v1/batch", "k-web", body)
	assert.Equal(t, ingest.Response{Success: true, Accepted: 2, Duplicates: 1}, resp)
	_, resp = f.post("/v1/batch", "k-web", body)
	assert.Equal(t, ingest.Response{Success: true, Accepted: 0, Duplicates: 3}, resp, "a retried batch is not produced again")
	_, resp = f.post("/v1/batch", "k-cc", body)
	assert.Equal(t, 2, resp.Accepted, "dedup is per source")
	assert.Len(t, f.sink.events(t), 4)
}

func TestKafkaDownIs503AndNotRemembered(t *testing.T) {
	f := newFixture(t)
	f.sink.fail = errors.New("broker down")
	body := `{"batch":[{"type":"track","userId":"u1","event":"A","messageId":"m1"}]}`
	w, resp := f.post("/v1/batch", "k-web", body)
	assert.Equal(t, http.StatusServiceUnavailable, w.Code)
	assert.Equal(t, "5", w.Header().Get("Retry-After"))
	assert.False(t, resp.Success)
	f.sink.fail = nil
	w, resp = f.post("/v1/batch", "k-web", body)
	assert.Equal(t, http.StatusOK, w.Code)
	assert.Equal(t, 1, resp.Accepted, "a failed event is not taken for a duplicate on retry")
}

func TestBrowserBodies(t *testing.T) {
	f := newFixture(t)
	// sendBeacon posts text/plain with the key in the body.
	w, _ := f.post("/v1/track", "", `{"writeKey":"k-web","userId":"u1","event":"A"}`, "Content-Type", "text/plain;charset=UTF-8")
	assert.Equal(t, http.StatusOK, w.Code)

	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	_, _ = io.WriteString(zw, `{"batch":[{"type":"track","userId":"u1","event":"B"}]}`)
	require.NoError(t, zw.Close())
	w, resp := f.post("/v1/batch", "k-web", gz.String(), "Content-Encoding", "gzip")
	assert.Equal(t, http.StatusOK, w.Code, w.Body.String())
	assert.Equal(t, 1, resp.Accepted)
	w, _ = f.post("/v1/batch", "k-web", "not gzip", "Content-Encoding", "gzip")
	assert.Equal(t, http.StatusBadRequest, w.Code)

	r := httptest.NewRequest(http.MethodOptions, "/v1/batch", nil)
	r.Header.Set("Origin", "https://shop.example")
	rec := httptest.NewRecorder()
	f.srv.ServeHTTP(rec, r)
	assert.Equal(t, http.StatusNoContent, rec.Code)
	assert.Equal(t, "https://shop.example", rec.Header().Get("Access-Control-Allow-Origin"))
	r.Header.Set("Origin", "https://evil.example")
	rec = httptest.NewRecorder()
	f.srv.ServeHTTP(rec, r)
	assert.Empty(t, rec.Header().Get("Access-Control-Allow-Origin"))
}

func TestBodyErrors(t *testing.T) {
	f := newFixture(t)
	w, resp := f.post("/v1/batch", "k-web", `{"batch":[`)
	assert.Equal(t, http.StatusBadRequest, w.Code)
	assert.Contains(t, resp.Error, "body:")
	big := `{"batch":[` + strings.Repeat(`{"type":"track","userId":"u1","event":"A"},`, 20000) + `{}]}`
	w, resp = f.post("/v1/batch", "k-web", big)
	assert.Equal(t, http.StatusRequestEntityTooLarge, w.Code)
	assert.Contains(t, resp.Error, "limit")
	w, _ = f.post("/v1/import", "k-cc", big)
	assert.NotEqual(t, http.StatusRequestEntityTooLarge, w.Code, "import has larger limits")
	r := httptest.NewRequest(http.MethodGet, "/v1/batch", nil)
	rec := httptest.NewRecorder()
	f.srv.ServeHTTP(rec, r)
	assert.Equal(t, http.StatusMethodNotAllowed, rec.Code)
}

func TestImportKeepsTimestamps(t *testing.T) {
	f := newFixture(t)
	nd := `{"type":"track","userId":"u1","event":"Order Completed","properties":{"order_id":"o1","revenue":5},"timestamp":"2021-06-01T10:00:00.250Z","sentAt":"2026-01-01T00:00:00Z"}
{"type":"identify","userId":"u1","traits":{"name":"Jane"},"timestamp":"2021-05-01T10:00:00Z"}
`
	w, resp := f.post("/v1/import", "k-cc", nd, "Content-Type", "application/x-ndjson")
	require.Equal(t, http.StatusOK, w.Code, w.Body.String())
	assert.Equal(t, 2, resp.Accepted)
	evs := f.sink.events(t)
	assert.Equal(t, time.Date(2021, 6, 1, 10, 0, 0, 250e6, time.UTC), evs[0].Timestamp, "historical time kept, no skew correction")
	w, resp = f.post("/v1/import", "k-cc", `{"batch":[{"type":"track","userId":"u2","event":"A","timestamp":"2020-01-01T00:00:00Z"}]}`)
	require.Equal(t, http.StatusOK, w.Code)
	assert.Equal(t, 1, resp.Accepted)
}

func TestEnrichment(t *testing.T) {
	f := newFixture(t)
	// Behind a trusted proxy, the client is the right-most untrusted hop.
	r := httptest.NewRequest(http.MethodPost, "/v1/track", strings.NewReader(`{"userId":"u1","event":"A","sentAt":"2026-01-01T00:00:10Z","timestamp":"2026-01-01T00:00:00Z"}`))
	r.RemoteAddr = "10.1.2.3:4444"
	r.Header.Set("X-Forwarded-For", "1.1.1.1, 198.51.100.7, 10.9.9.9")
	r.Header.Set("User-Agent", "Googlebot/2.1 (+http://www.google.com/bot.html)")
	r.Header.Set("Origin", "https://shop.example") // a crawler running the page's JavaScript
	r.SetBasicAuth("k-web", "")
	rec := httptest.NewRecorder()
	f.srv.ServeHTTP(rec, r)
	require.Equal(t, http.StatusOK, rec.Code)
	ev := f.sink.events(t)[0]
	assert.Equal(t, "198.51.100.7", ev.Enrichment.IP)
	assert.True(t, ev.Enrichment.Bot, "bots are tagged, not dropped")
	assert.Equal(t, "bot", ev.Enrichment.DeviceType)
	assert.Equal(t, 10*time.Second, ev.ReceivedAt.Sub(ev.Timestamp).Round(time.Millisecond), "skew-corrected: 10 s before receipt")

	// An untrusted peer cannot forge its address.
	r = httptest.NewRequest(http.MethodPost, "/v1/track", strings.NewReader(`{"userId":"u1","event":"B"}`))
	r.RemoteAddr = "203.0.113.50:1"
	r.Header.Set("X-Forwarded-For", "1.1.1.1")
	r.SetBasicAuth("k-web", "")
	f.srv.ServeHTTP(httptest.NewRecorder(), r)
	assert.Equal(t, "203.0.113.50", f.sink.events(t)[1].Enrichment.IP)
}

func TestSuppressedIDs(t *testing.T) {
	f := newFixture(t)
	_, resp := f.post("/v1/batch", "k-web", `{"batch":[{"type":"track","userId":"erased-user","event":"A"},{"type":"track","userId":"u2","event":"A"}]}`)
	assert.Equal(t, 1, resp.Accepted)
	require.Len(t, resp.Rejected, 1)
	assert.Equal(t, events.ReasonSuppressed, resp.Rejected[0].Reason)
	assert.Empty(t, f.sink.dlq, "erased data is not kept in the DLQ either")
}

func TestLimits(t *testing.T) {
	f := newFixture(t, func(c *ingest.Config) { c.RateLimit = 1; c.RateBurst = 3 })
	body := `{"batch":[{"type":"track","userId":"u1","event":"A"},{"type":"track","userId":"u1","event":"A"}]}`
	w, _ := f.post("/v1/batch", "k-web", body)
	assert.Equal(t, http.StatusOK, w.Code)
	w, _ = f.post("/v1/batch", "k-web", body)
	assert.Equal(t, http.StatusTooManyRequests, w.Code)
	assert.NotEmpty(t, w.Header().Get("Retry-After"))

	// The memory bound: a request held in flight (Kafka slow) takes the
	// estimated memory of its events; the next one gets 503.
	f = newFixture(t, func(c *ingest.Config) { c.MaxInflightBytes = int64(len(body)) * 15 })
	release := make(chan struct{})
	f.sink.hold = release
	first := make(chan int)
	go func() {
		w, _ := f.post("/v1/batch", "k-web", body)
		first <- w.Code
	}()
	itest.Eventually(t, 5*time.Second, func() bool { return f.sink.waiting.Load() == 1 }, "first request waits for Kafka")
	w, _ = f.post("/v1/batch", "k-web", body)
	assert.Equal(t, http.StatusServiceUnavailable, w.Code, "beyond the in-flight memory bound: 503")
	assert.Equal(t, "1", w.Header().Get("Retry-After"))
	close(release)
	assert.Equal(t, http.StatusOK, <-first, "the held request completes")
	w, _ = f.post("/v1/batch", "k-web", body)
	assert.Equal(t, http.StatusOK, w.Code, "memory is released")
}

func TestChannelFromSourceName(t *testing.T) {
	f := newFixture(t, func(c *ingest.Config) { c.WriteKeys = map[string]string{"k-phone": "phone", "k-crm": "crm"} })
	f.post("/v1/track", "k-phone", `{"userId":"u1","event":"Ticket Opened","properties":{"ticket_id":"t1","channel":"phone"}}`)
	f.post("/v1/track", "k-phone", `{"userId":"u1","event":"Complaint Filed","context":{"channel":"letter"}}`)
	f.post("/v1/track", "k-crm", `{"userId":"u1","event":"Contract Renewed","properties":{"contract_id":"c1"}}`)
	evs := f.sink.events(t)
	require.Len(t, evs, 3)
	assert.Equal(t, "phone", evs[0].Channel(), "a source named after a channel stamps it")
	assert.Equal(t, "letter", evs[1].Channel(), "the event's own channel wins")
	assert.Equal(t, "", evs[2].Channel(), "other sources must say their channel")
}

// TestWriteOutlivesTheClient: a client that stops waiting (disconnect or
// timeout) while Kafka is slow gets 503, but the write goes on; when it
// succeeds, the ids are recorded and counted as accepted, so the client's
// retry is answered as duplicates and stored once. A write that fails is
// counted as failed and its retry is produced.
func TestWriteOutlivesTheClient(t *testing.T) {
	f := newFixture(t)
	body := `{"batch":[{"type":"track","userId":"u1","event":"A","messageId":"m-1"},{"type":"track","userId":"u1","event":"B","messageId":"m-2"}]}`
	release := make(chan struct{})
	f.sink.hold = release
	ctx, cancel := context.WithCancel(context.Background())
	code := make(chan int)
	go func() {
		r := httptest.NewRequest(http.MethodPost, "/v1/batch", strings.NewReader(body)).WithContext(ctx)
		r.SetBasicAuth("k-web", "")
		w := httptest.NewRecorder()
		f.srv.ServeHTTP(w, r)
		code <- w.Code
	}()
	itest.Eventually(t, 5*time.Second, func() bool { return f.sink.waiting.Load() == 1 }, "the request waits for Kafka")
	cancel() // the client goes away
	assert.Equal(t, http.StatusServiceUnavailable, <-code)
	accepted := map[string]string{"source": "web", "type": "track", "outcome": "accepted"}
	assert.Zero(t, f.counter("cem_collector_events_total", accepted), "nothing stored yet")

	close(release) // Kafka acknowledges after all
	itest.Eventually(t, 5*time.Second, func() bool { return f.counter("cem_collector_events_total", accepted) == 2 },
		"the stored events are counted once the write succeeds")
	f.sink.hold = nil
	w, resp := f.post("/v1/batch", "k-web", body)
	assert.Equal(t, http.StatusOK, w.Code)
	assert.Equal(t, 2, resp.Duplicates, "the retry is recognised")
	assert.Zero(t, resp.Accepted)
	assert.Len(t, f.sink.events(t), 2, "each event stored once")

	f.sink.fail = errors.New("broker gone")
	body2 := strings.ReplaceAll(body, "m-", "n-")
	w, _ = f.post("/v1/batch", "k-web", body2)
	assert.Equal(t, http.StatusServiceUnavailable, w.Code)
	assert.Equal(t, 2.0, f.counter("cem_collector_events_total", map[string]string{"source": "web", "type": "track", "outcome": "failed"}))
	f.sink.fail = nil
	_, resp = f.post("/v1/batch", "k-web", body2)
	assert.Equal(t, 2, resp.Accepted, "a failed write is not recorded: its retry is stored")
}
