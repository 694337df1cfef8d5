package ingest_test

import (
	"bytes"
	"compress/gzip"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cemhq/cem/pkg/itest"
	"github.com/cemhq/cem/services/collector/internal/ingest"
)

// watchedBody counts the bytes a handler read of it.
type watchedBody struct {
	r    io.Reader
	read atomic.Int64
}

func (b *watchedBody) Read(p []byte) (int, error) {
	n, err := b.r.Read(p)
	b.read.Add(int64(n))
	return n, err
}

func (b *watchedBody) Close() error { return nil }

// An unknown key in the header is refused before a byte of the body is
// read.
func TestUnknownHeaderKeyIsRefusedBeforeTheBody(t *testing.T) {
	f := newFixture(t)
	body := &watchedBody{r: strings.NewReader(`{"userId":"u1","event":"x"}`)}
	r := httptest.NewRequest(http.MethodPost, "/v1/track", body)
	r.SetBasicAuth("stolen-or-guessed", "")
	w := httptest.NewRecorder()
	f.srv.ServeHTTP(w, r)
	assert.Equal(t, http.StatusUnauthorized, w.Code)
	assert.Zero(t, body.read.Load(), "body bytes read before the key was checked")
	assert.Empty(t, f.sink.msgs)
}

// A body that carries its own key (sendBeacon) is limited to
// UnauthMaxBytes before and after gzip; with basic auth the endpoint's
// limit applies.
func TestKeyInBodyHasASmallLimit(t *testing.T) {
	f := newFixture(t, func(c *ingest.Config) { c.UnauthMaxBytes = 4 << 10 })
	pad := strings.Repeat("x", 6<<10)
	big := `{"writeKey":"k-web","userId":"u1","event":"Clicked","properties":{"pad":"` + pad + `"}}`
	w, resp := f.post("/v1/track", "", big)
	assert.Equal(t, http.StatusRequestEntityTooLarge, w.Code)
	assert.Contains(t, resp.Error, "write key in the body")
	w, _ = f.post("/v1/track", "k-web", big)
	assert.Equal(t, http.StatusOK, w.Code, w.Body.String())

	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	_, _ = zw.Write([]byte(big))
	require.NoError(t, zw.Close())
	require.Less(t, gz.Len(), 4<<10, "compressed below the limit")
	w, _ = f.post("/v1/track", "", gz.String(), "Content-Encoding", "gzip")
	assert.Equal(t, http.StatusRequestEntityTooLarge, w.Code, "the inflated size counts")
	assert.Equal(t, 2.0, f.counter("cem_collector_body_rejections_total", map[string]string{"reason": "unauthenticated_too_large"}))

	small := `{"writeKey":"k-web","userId":"u1","event":"Clicked"}`
	w, _ = f.post("/v1/track", "", small)
	assert.Equal(t, http.StatusOK, w.Code, w.Body.String())
}

// A client address gets MaxConcurrentPerClient requests in progress; the
// next is refused with 429 while others are served.
func TestClientSlots(t *testing.T) {
	f := newFixture(t, func(c *ingest.Config) { c.MaxConcurrentPerClient = 2 })
	f.sink.hold = make(chan struct{})
	done := make(chan int, 2)
	for range 2 {
		go func() {
			r := httptest.NewRequest(http.MethodPost, "/v1/track", strings.NewReader(`{"userId":"u1","event":"x"}`))
			r.RemoteAddr = "198.51.100.7:1000"
			r.SetBasicAuth("k-web", "")
			w := httptest.NewRecorder()
			f.srv.ServeHTTP(w, r)
			done <- w.Code
		}()
	}
	itest.Eventually(t, 5*time.Second, func() bool { return f.sink.waiting.Load() == 2 }, "two requests wait for Kafka")
	r := httptest.NewRequest(http.MethodPost, "/v1/track", strings.NewReader(`{"userId":"u1","event":"x"}`))
	r.RemoteAddr = "198.51.100.7:1001"
	r.SetBasicAuth("k-web", "")
	w := httptest.NewRecorder()
	f.srv.ServeHTTP(w, r)
	assert.Equal(t, http.StatusTooManyRequests, w.Code)
	assert.Equal(t, "1", w.Header().Get("Retry-After"))

	assert.Equal(t, 1.0, f.counter("cem_collector_overload_rejections_total", map[string]string{"cause": "client"}))

	close(f.sink.hold)
	assert.Equal(t, http.StatusOK, <-done)
	assert.Equal(t, http.StatusOK, <-done)
	w = httptest.NewRecorder()
	r = httptest.NewRequest(http.MethodPost, "/v1/track", strings.NewReader(`{"userId":"u1","event":"x"}`))
	r.RemoteAddr = "198.51.100.7:1002"
	r.SetBasicAuth("k-web", "")
	f.srv.ServeHTTP(w, r)
	assert.Equal(t, http.StatusOK, w.Code, "the slots are given back")
}
