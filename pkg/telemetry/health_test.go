package telemetry_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/stretchr/testify/assert"

	"github.com/cemhq/cem/pkg/telemetry"
)

// TestReadyzKeepsErrorsPrivate: a service whose port faces the internet
// (the collector) tells only which check failed; the error, which names
// brokers and addresses, goes to its log.
func TestReadyzKeepsErrorsPrivate(t *testing.T) {
	readyz := func(h *telemetry.Health) *httptest.ResponseRecorder {
		mux := http.NewServeMux()
		h.Register(mux, prometheus.NewRegistry())
		w := httptest.NewRecorder()
		mux.ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/readyz", nil))
		return w
	}
	const detail = "dial tcp 10.1.2.3:9092: connection refused"
	failing := func(context.Context) error { return errors.New(detail) }

	h := telemetry.NewHealth()
	h.AddCheck("kafka", failing)
	w := readyz(h)
	assert.Equal(t, http.StatusServiceUnavailable, w.Code)
	assert.Contains(t, w.Body.String(), detail, "an internal service tells why")

	var logged bytes.Buffer
	h = telemetry.NewHealth()
	h.Private = slog.New(slog.NewTextHandler(&logged, nil))
	h.AddCheck("kafka", failing)
	w = readyz(h)
	assert.Equal(t, http.StatusServiceUnavailable, w.Code)
	assert.Contains(t, w.Body.String(), `"kafka"`)
	assert.NotContains(t, w.Body.String(), "10.1.2.3")
	assert.Contains(t, logged.String(), detail)
}
