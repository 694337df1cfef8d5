package deploytest

import (
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promauto"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cemhq/cem/pkg/telemetry"
)

// standIn serves /metrics like a cem service: the telemetry registry (with
// cem_build_info) and one series of the service's own.
func standIn(t *testing.T, service string, register func(promauto.Factory)) string {
	t.Helper()
	reg := telemetry.NewRegistry(service, "test")
	register(promauto.With(reg))
	mux := http.NewServeMux()
	telemetry.NewHealth().Register(mux, reg)
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return strings.TrimPrefix(srv.URL, "http://")
}

// TestPromcheckScrapeIntegration runs scripts/promcheck.sh scrape (Debian's
// prometheus, the repository's rules) against three stand-in services and
// checks that it passes, and that it fails when a required series is
// missing. Enabled by CEM_PROMCHECK=1 (needs prometheus, promtool, jq and
// curl; the script installs the first three with apt-get when missing).
func TestPromcheckScrapeIntegration(t *testing.T) {
	if os.Getenv("CEM_PROMCHECK") != "1" {
		t.Skip("CEM_PROMCHECK=1 not set: skipping the real Prometheus scrape test")
	}
	collector := standIn(t, "collector", func(f promauto.Factory) {
		f.NewCounterVec(prometheus.CounterOpts{Name: "cem_collector_requests_total", Help: "h"}, []string{"endpoint", "code"}).
			WithLabelValues("batch", "200").Inc()
	})
	processor := standIn(t, "processor", func(f promauto.Factory) {
		f.NewCounter(prometheus.CounterOpts{Name: "cem_processor_messages_consumed_total", Help: "h"})
		f.NewGauge(prometheus.GaugeOpts{Name: "cem_processor_ready", Help: "h"}).Set(1)
	})
	query := standIn(t, "query", func(f promauto.Factory) {
		f.NewCounterVec(prometheus.CounterOpts{Name: "cem_query_requests_total", Help: "h"}, []string{"endpoint", "code"}).
			WithLabelValues("journey", "200").Inc()
	})
	targets := strings.Join([]string{collector, processor, query}, ",")

	run := func(t *testing.T, extra ...string) (string, error) {
		t.Helper()
		cmd := exec.Command("bash", path(t, "scripts", "promcheck.sh"), "scrape")
		cmd.Env = append(os.Environ(), "CEM_SCRAPE_TARGETS="+targets, "CEM_PROM_DATA_DIR="+t.TempDir(), "CEM_SCRAPE_TIMEOUT=30")
		cmd.Env = append(cmd.Env, extra...)
		out, err := cmd.CombinedOutput()
		return string(out), err
	}

	t.Run("passes", func(t *testing.T) {
		out, err := run(t)
		require.NoError(t, err, out)
		assert.Regexp(t, `(?m)^promcheck: [1-9][0-9]* passed, 0 failed$`, out)
		assert.Contains(t, out, `cem_build_info{service="processor"} present`)
		assert.Contains(t, out, "alert rules loaded")
	})
	t.Run("fails on a missing series", func(t *testing.T) {
		out, err := run(t, "CEM_SCRAPE_SERIES=cem_collector_requests_total,cem_not_exported_total", "CEM_SCRAPE_TIMEOUT=15")
		require.Error(t, err, out)
		assert.Contains(t, out, "FAIL: cem_not_exported_total missing")
		assert.Regexp(t, `(?m)^promcheck: [0-9]+ passed, 1 failed$`, out)
	})
}
