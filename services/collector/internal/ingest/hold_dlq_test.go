package ingest_test

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cemhq/cem/pkg/events"
	"github.com/cemhq/cem/pkg/itest"
	"github.com/cemhq/cem/pkg/suppress"
	"github.com/cemhq/cem/services/collector/internal/ingest"
)

// countedHolds is a suppression list that counts the holds not yet
// released: an erasure (suppress.List) completes only when that is zero.
type countedHolds struct{ open atomic.Int32 }

func (c *countedHolds) Hold() suppress.Held { c.open.Add(1); return countedHold{c} }

type countedHold struct{ c *countedHolds }

func (countedHold) Suppressed(string) bool { return false }
func (h countedHold) Release()             { h.c.open.Add(-1) }

// TestErasureWaitsForAWriteThatOutlivesTheRequest: a request answered 503
// while Kafka is slow still has its write in flight; the hold of the
// suppression list lasts until that write ends, so an erasure cannot
// complete while events of the erased id may still be stored.
func TestErasureWaitsForAWriteThatOutlivesTheRequest(t *testing.T) {
	holds := &countedHolds{}
	sink := &memSink{hold: make(chan struct{})}
	cfg := config()
	cfg.ProduceTimeout = 50 * time.Millisecond
	h, err := ingest.New(cfg, sink, holds, prometheus.NewRegistry(), slog.New(slog.DiscardHandler))
	require.NoError(t, err)
	mux := http.NewServeMux()
	h.Register(mux)

	r := httptest.NewRequest(http.MethodPost, "/v1/track", strings.NewReader(`{"userId":"to-be-erased","event":"A"}`))
	r.SetBasicAuth("k-web", "")
	w := httptest.NewRecorder()
	mux.ServeHTTP(w, r.WithContext(context.Background()))
	require.Equal(t, http.StatusServiceUnavailable, w.Code, "Kafka did not answer within CEM_PRODUCE_TIMEOUT")
	require.EqualValues(t, 1, sink.waiting.Load(), "the write is still in flight")
	assert.EqualValues(t, 1, holds.open.Load(), "the write in flight still holds the suppression list")

	close(sink.hold) // the write ends
	itest.Eventually(t, 5*time.Second, func() bool { return holds.open.Load() == 0 }, "the hold is released when the write ends")
	assert.Len(t, sink.events(t), 1)

	// A request without a write (every event rejected) releases at once.
	w = httptest.NewRecorder()
	r = httptest.NewRequest(http.MethodPost, "/v1/track", strings.NewReader(`{"event":"no id"}`))
	r.SetBasicAuth("k-web", "")
	mux.ServeHTTP(w, r)
	assert.Equal(t, http.StatusBadRequest, w.Code)
	assert.Zero(t, holds.open.Load())
}

// TestDLQRecordFitsKafkaAtTheLargestRawCap: with CEM_DLQ_MAX_RAW_BYTES at
// its maximum (262144), a rejected event full of < (escaped to 6 bytes
// each by encoding/json's default) made a DLQ record of ~1.5 MB, which
// kafka-go refuses (BatchBytes 1 MiB), failing the DLQ write of every
// rejected event of the request.
func TestDLQRecordFitsKafkaAtTheLargestRawCap(t *testing.T) {
	f := newFixture(t, func(c *ingest.Config) { c.DLQMaxRawBytes = 256 << 10 })
	big := `{"type":"track","userId":"u1","event":"A","properties":{"p":"` + strings.Repeat("<", 400<<10) + `"}}`
	w, resp := f.post("/v1/batch", "k-web", `{"batch":[`+big+`,{"type":"track","userId":"u1","event":"B"}]}`)
	require.Equal(t, http.StatusOK, w.Code)
	require.Len(t, resp.Rejected, 1)
	f.sink.mu.Lock()
	defer f.sink.mu.Unlock()
	require.Len(t, f.sink.dlq, 1)
	rec := f.sink.dlq[0].Value
	assert.Less(t, len(rec), 1<<20, "below kafka-go's BatchBytes")
	var back events.Failure
	require.NoError(t, json.Unmarshal(rec, &back))
	assert.True(t, back.Truncated)
	assert.Len(t, back.Raw, 256<<10, "the whole configured cap is kept")
}

// TestBatchBeyondRateBurstIs413: with a rate limit, a request with more
// valid events than CEM_RATE_BURST never fits the source's bucket; it got
// 429 on every retry, forever. It gets 413 and a clear message instead,
// and smaller batches still pass and are rate limited.
func TestBatchBeyondRateBurstIs413(t *testing.T) {
	f := newFixture(t, func(c *ingest.Config) { c.RateLimit, c.RateBurst = 0.001, 2 })
	ev := `{"type":"track","userId":"u1","event":"A"}`
	w, resp := f.post("/v1/batch", "k-web", `{"batch":[`+ev+`,`+ev+`,`+ev+`]}`)
	assert.Equal(t, http.StatusRequestEntityTooLarge, w.Code)
	assert.Contains(t, resp.Error, "CEM_RATE_BURST")
	assert.Empty(t, f.sink.events(t))

	w, resp = f.post("/v1/batch", "k-web", `{"batch":[`+ev+`,`+ev+`,{"type":"track","event":"invalid: no id"}]}`)
	assert.Equal(t, http.StatusOK, w.Code, "invalid events do not count")
	assert.Equal(t, 2, resp.Accepted)
	w, _ = f.post("/v1/batch", "k-web", `{"batch":[`+ev+`]}`)
	assert.Equal(t, http.StatusTooManyRequests, w.Code, "the burst is spent")
}
