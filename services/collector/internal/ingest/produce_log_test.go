package ingest_test

import (
	"bytes"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/segmentio/kafka-go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cemhq/cem/services/collector/internal/ingest"
)

// TestKafkaDownLogsOneShortLine: kafka-go reports a failed write with one
// error per message; a 503 logs one line per request naming the error once
// with the count of events, not a 4 KB line repeating it per event.
func TestKafkaDownLogsOneShortLine(t *testing.T) {
	var logs bytes.Buffer
	sink := &memSink{}
	h, err := ingest.New(config(), sink, nil, prometheus.NewRegistry(), slog.New(slog.NewTextHandler(&logs, nil)))
	require.NoError(t, err)
	mux := http.NewServeMux()
	h.Register(mux)
	var batch []string
	werrs := make(kafka.WriteErrors, 100)
	for i := range werrs {
		batch = append(batch, fmt.Sprintf(`{"type":"track","userId":"u%d","event":"A"}`, i))
		werrs[i] = errors.New("dial tcp 127.0.0.1:9092: connect: connection refused")
	}
	sink.fail = werrs
	r := httptest.NewRequest(http.MethodPost, "/v1/batch", strings.NewReader(`{"batch":[`+strings.Join(batch, ",")+`]}`))
	r.SetBasicAuth("k-web", "")
	w := httptest.NewRecorder()
	mux.ServeHTTP(w, r)
	require.Equal(t, http.StatusServiceUnavailable, w.Code)

	lines := strings.Split(strings.TrimSpace(logs.String()), "\n")
	require.Len(t, lines, 1, logs.String())
	assert.Less(t, len(lines[0]), 400, lines[0])
	assert.Equal(t, 1, strings.Count(lines[0], "connection refused"), lines[0])
	assert.Contains(t, lines[0], "(100 of 100 events)")
}
