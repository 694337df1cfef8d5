package httpapi

import (
	"context"
	"log/slog"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/cemhq/cem/pkg/junkid"
	"github.com/cemhq/cem/pkg/telemetry"
	"github.com/cemhq/cem/services/query/internal/alerts"
	"github.com/cemhq/cem/services/query/internal/experience"
	"github.com/cemhq/cem/services/query/internal/funnel"
	"github.com/cemhq/cem/services/query/internal/gdpr"
	"github.com/cemhq/cem/services/query/internal/journey"
	"github.com/cemhq/cem/services/query/internal/paths"
	"github.com/cemhq/cem/services/query/internal/retention"
	"github.com/cemhq/cem/services/query/internal/segments"
	"github.com/cemhq/cem/services/query/internal/servicelevel"
	"github.com/cemhq/cem/services/query/internal/ui"
)

// Limits bound what one request may ask for.
type Limits struct {
	// Timeout bounds every API request but erasure.
	Timeout time.Duration
	// EraseTimeout bounds a GDPR erasure (it waits for mutations).
	EraseTimeout time.Duration
	// MaxRows caps page sizes and result lists.
	MaxRows int
	// MinN is the default minimum number of answers for a score to count as
	// sufficient.
	MinN uint64
	// HeavyPerToken bounds the heavy analyses (funnels, paths, retention,
	// journeys, exports) one token runs at once; beyond it 429 with
	// Retry-After. 0: unbounded.
	HeavyPerToken int
}

// Deps are what the API serves from. All fields are required except
// Enrichers.
type Deps struct {
	Log       *slog.Logger
	Registry  *prometheus.Registry
	Health    *telemetry.Health
	Metrics   *Metrics
	Auth      *Auth
	Limits    Limits
	Resolver  *journey.Resolver
	Enrichers []journey.Enricher
	Funnels   *funnel.Engine
	Paths     *paths.Engine
	Retention *retention.Engine
	Exp       *experience.Engine
	Service   *servicelevel.Reporter
	Eraser    *gdpr.Eraser
	Junk      junkid.Set
	Exporter  *gdpr.Exporter
	Segments  *segments.Registry
	Alerts    *alerts.Reader
}

// handlerFunc is an API handler; a returned error becomes a JSON error.
type handlerFunc func(w http.ResponseWriter, r *http.Request) error

type server struct{ Deps }

// NewHandler returns the service's HTTP handler: /metrics, /healthz and
// /readyz without auth, the API under /api/v1 with bearer-token auth.
func NewHandler(d Deps) http.Handler {
	s := &server{d}
	mux := http.NewServeMux()
	d.Health.Register(mux, d.Registry)
	heavy := newHeavyLimit(d.Limits.HeavyPerToken)
	for _, rt := range s.routes() {
		timeout := rt.timeout
		if timeout == 0 {
			timeout = d.Limits.Timeout
		}
		h := s.wrap(rt.h, timeout)
		if rt.heavy {
			h = heavy.wrap(h)
		}
		mux.Handle(rt.pattern, d.Metrics.instrument(rt.pattern, d.Auth.Wrap(rt.scope, h)))
	}
	mux.Handle("/api/", d.Metrics.instrument("unknown", http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		writeError(w, http.StatusNotFound, "not_found", "no such endpoint")
	})))
	mux.Handle("/", d.Metrics.instrument("ui", ui.Handler())) // journey explorer UI, no auth (it logs in)
	return recoverer(d.Log, mux)
}

type route struct {
	pattern string
	h       handlerFunc
	timeout time.Duration // 0: Limits.Timeout
	scope   Scope         // what the token must grant
	heavy   bool          // bounded per token (Limits.HeavyPerToken)
}

// routes is the API route table.
func (s *server) routes() []route {
	return []route{
		{"GET /api/v1/customers", s.lookup, 0, ScopeRead, false},
		{"GET /api/v1/customers/{id}", s.profile, 0, ScopeRead, false},
		{"GET /api/v1/customers/{id}/timeline", s.timeline, 0, ScopeRead, false},
		{"GET /api/v1/customers/{id}/export", s.export, 0, ScopeExport, true},
		{"DELETE /api/v1/customers/{id}", s.erase, s.Limits.EraseTimeout, ScopeErase, false},
		{"POST /api/v1/funnels", s.funnel, 0, ScopeRead, true},
		{"GET /api/v1/paths", s.paths, 0, ScopeRead, true},
		{"GET /api/v1/retention", s.retention, 0, ScopeRead, true},
		{"GET /api/v1/experience", s.experience, 0, ScopeRead, false},
		{"GET /api/v1/experience/touchpoints/worst", s.worstTouchpoints, 0, ScopeRead, false},
		{"GET /api/v1/experience/journeys", s.journeys, 0, ScopeRead, true},
		{"GET /api/v1/service", s.service, 0, ScopeRead, false},
		{"GET /api/v1/segments", s.segmentList, 0, ScopeRead, false},
		{"GET /api/v1/segments/{name}", s.segment, 0, ScopeRead, false},
		{"GET /api/v1/segments/{name}/history", s.segmentHistory, 0, ScopeRead, false},
		{"GET /api/v1/alerts", s.alertList, 0, ScopeRead, false},
		{"GET /api/v1/alerts/figures", s.alertFigures, 0, ScopeRead, false},
		{"GET /api/v1/alerts/{id}", s.alertCase, 0, ScopeRead, false},
		{"POST /api/v1/alerts/{id}/case", s.alertCaseChange, 0, ScopeWrite, false},
	}
}

// wrap applies the request timeout and writes a returned error.
func (s *server) wrap(h handlerFunc, timeout time.Duration) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), timeout)
		defer cancel()
		r = r.WithContext(ctx)
		if err := h(w, r); err != nil {
			fail(w, r, s.Log, err)
		}
	})
}
