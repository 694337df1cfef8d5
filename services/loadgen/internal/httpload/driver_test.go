package httpload_test

import (
	"context"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cemhq/cem/services/loadgen/internal/baseline"
	"github.com/cemhq/cem/services/loadgen/internal/httpload"
	"github.com/cemhq/cem/services/loadgen/internal/payload"
)

func TestRun(t *testing.T) {
	tp, err := payload.NewTemplates(payload.Options{Seed: 1, Batches: 10, BatchSize: 100})
	require.NoError(t, err)
	h := &baseline.Handler{}
	srv := httptest.NewServer(h)
	defer srv.Close()
	for _, tc := range []struct {
		name string
		cfg  httpload.Config
	}{
		{"closed-count", httpload.Config{Connections: 4, MaxEvents: 3000}},
		{"open-duration", httpload.Config{Rate: 20000, Connections: 8, Duration: 500 * time.Millisecond}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := h.Events()
			tc.cfg.URL = srv.URL
			res, err := httpload.Run(context.Background(), tc.cfg, tp)
			require.NoError(t, err)
			assert.Equal(t, res.Requests, res.OK, "status %v", res.Status)
			assert.Equal(t, res.OKEvents, h.Events()-before, "every event sent was decoded")
			assert.Positive(t, res.EPS)
			assert.Positive(t, res.Latency.P99)
			if tc.cfg.MaxEvents > 0 {
				assert.LessOrEqual(t, res.OKEvents, tc.cfg.MaxEvents)
				assert.GreaterOrEqual(t, res.OKEvents, tc.cfg.MaxEvents-100*int64(tc.cfg.Connections))
			} else {
				assert.InDelta(t, 10000, res.OKEvents, 2500, "open loop holds its rate")
			}
		})
	}
}

func TestSummarize(t *testing.T) {
	ds := make([]time.Duration, 100)
	for i := range ds {
		ds[i] = time.Duration(100-i) * time.Millisecond
	}
	l := httpload.Summarize(ds)
	assert.InDelta(t, 50, l.P50, 1e-9)
	assert.InDelta(t, 99, l.P99, 1e-9)
	assert.InDelta(t, 100, l.Max, 1e-9)
}
