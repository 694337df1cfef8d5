package telemetry

import (
	"context"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/cemhq/cem/pkg/httpjson"
)

// Check reports whether one dependency is usable. It must return within the
// context's deadline.
type Check func(ctx context.Context) error

// Health serves /healthz (the process is alive) and /readyz (every readiness
// check passes). It is safe for concurrent use.
type Health struct {
	mu     sync.RWMutex
	checks map[string]Check
	// Timeout bounds each readiness check. Default 2 s.
	Timeout time.Duration
	// Private, when set, keeps the checks' errors out of /readyz (a port
	// open to the internet: they can name brokers and addresses): it
	// answers "unavailable" per failed check and logs the errors here.
	Private *slog.Logger
}

// NewHealth returns a Health with no checks; /readyz answers 200 until checks
// are added.
func NewHealth() *Health {
	return &Health{checks: map[string]Check{}, Timeout: 2 * time.Second}
}

// AddCheck registers (or replaces) a named readiness check.
func (h *Health) AddCheck(name string, c Check) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.checks[name] = c
}

// Ready runs every check and returns the failures by name.
func (h *Health) Ready(ctx context.Context) map[string]string {
	h.mu.RLock()
	defer h.mu.RUnlock()
	failed := map[string]string{}
	for name, c := range h.checks {
		cctx, cancel := context.WithTimeout(ctx, h.Timeout)
		if err := c(cctx); err != nil {
			failed[name] = err.Error()
		}
		cancel()
	}
	return failed
}

// Register adds /metrics, /healthz and /readyz to mux.
func (h *Health) Register(mux *http.ServeMux, reg *prometheus.Registry) {
	mux.Handle("GET /metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{Registry: reg}))
	h.RegisterProbes(mux)
}

// RegisterProbes adds /healthz and /readyz to mux (a public port whose
// /metrics is served on an admin port).
func (h *Health) RegisterProbes(mux *http.ServeMux) {
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		_ = httpjson.Write(w, http.StatusOK, map[string]string{"status": "ok"})
	})
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, r *http.Request) {
		if failed := h.Ready(r.Context()); len(failed) > 0 {
			if h.Private != nil {
				for name, msg := range failed {
					h.Private.Warn("not ready", "check", name, "err", msg)
					failed[name] = "unavailable (details in the service's log)"
				}
			}
			_ = httpjson.Write(w, http.StatusServiceUnavailable, map[string]any{"status": "not ready", "failed": failed})
			return
		}
		_ = httpjson.Write(w, http.StatusOK, map[string]string{"status": "ready"})
	})
}
