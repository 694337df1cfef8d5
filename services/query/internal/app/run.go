package app

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/http"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/cemhq/cem/pkg/chconn"
	"github.com/cemhq/cem/pkg/chmigrate"
	"github.com/cemhq/cem/pkg/junkid"
	"github.com/cemhq/cem/pkg/telemetry"
	"github.com/cemhq/cem/schemas"
	"github.com/cemhq/cem/services/query/internal/alerts"
	"github.com/cemhq/cem/services/query/internal/chstore"
	"github.com/cemhq/cem/services/query/internal/experience"
	"github.com/cemhq/cem/services/query/internal/funnel"
	"github.com/cemhq/cem/services/query/internal/gdpr"
	"github.com/cemhq/cem/services/query/internal/httpapi"
	"github.com/cemhq/cem/services/query/internal/journey"
	"github.com/cemhq/cem/services/query/internal/paths"
	"github.com/cemhq/cem/services/query/internal/retention"
	"github.com/cemhq/cem/services/query/internal/scoresegments"
	"github.com/cemhq/cem/services/query/internal/segments"
	"github.com/cemhq/cem/services/query/internal/servicelevel"
)

// Run serves the API until ctx is cancelled, then drains in-flight requests.
func Run(ctx context.Context, cfg Config, log *slog.Logger, reg *prometheus.Registry) error {
	conn, err := chconn.Open(ctx, cfg.ClickHouse)
	if err != nil {
		return fmt.Errorf("clickhouse: %w", err)
	}
	defer conn.Close()
	if cfg.Query.Migrate {
		if err := chmigrate.Apply(ctx, conn, chmigrate.For(cfg.ClickHouse)); err != nil {
			return fmt.Errorf("migrate: %w", err)
		}
	}
	ln, err := net.Listen("tcp", cfg.HTTPAddr)
	if err != nil {
		return fmt.Errorf("listen %s: %w", cfg.HTTPAddr, err)
	}
	h, err := NewHandler(conn, cfg, log, reg)
	if err != nil {
		_ = ln.Close()
		return err
	}
	srv := cfg.HTTPConfig.Server(h)
	return telemetry.Serve(ctx, srv, ln, cfg.Query.ShutdownTimeout, log)
}

// NewHandler builds the service's HTTP handler over an open connection.
func NewHandler(conn chstore.Conn, cfg Config, log *slog.Logger, reg *prometheus.Registry) (http.Handler, error) {
	st, err := chstore.New(conn, chstore.Options{Database: cfg.ClickHouse.Database, MaxExecution: cfg.Query.Timeout}, chstore.NewMetrics(reg))
	if err != nil {
		return nil, err
	}
	targets, err := servicelevel.ParseTargets(cfg.Query.ServiceTargets)
	if err != nil {
		return nil, err
	}
	segs, err := segments.NewRegistry(scoresegments.All(st)...)
	if err != nil {
		return nil, err
	}
	tokens, err := httpapi.ParseTokens(cfg.Query.Tokens)
	if err != nil {
		return nil, fmt.Errorf("CEM_QUERY_TOKENS: %w", err)
	}
	health := telemetry.NewHealth()
	health.AddCheck("clickhouse", st.Ping)
	pe := paths.New(st)
	pii, err := gdpr.DeclaredPII(schemas.Events)
	if err != nil {
		return nil, err
	}
	gopts := gdpr.Options{
		Layout: chmigrate.For(cfg.ClickHouse), Junk: junkid.New(cfg.JunkIDs...), PII: pii,
		AckTimeout: cfg.Query.EraseAckTimeout, WriterTTL: cfg.Query.EraseWriterTTL,
	}
	return httpapi.NewHandler(httpapi.Deps{
		Log:      log,
		Registry: reg,
		Health:   health,
		Metrics:  httpapi.NewMetrics(reg),
		Auth:     httpapi.NewAuth(tokens),
		Limits: httpapi.Limits{
			Timeout: cfg.Query.Timeout, EraseTimeout: cfg.Query.EraseTimeout,
			MaxRows: cfg.Query.MaxRows, MinN: cfg.Query.MinN, HeavyPerToken: cfg.Query.HeavyPerToken,
		},
		Resolver:  journey.NewResolver(st),
		Enrichers: []journey.Enricher{scoresegments.NewScores(st)},
		Funnels:   funnel.New(st),
		Paths:     pe,
		Retention: retention.New(st),
		Exp:       experience.New(st),
		Service:   servicelevel.New(st, targets),
		Eraser:    gdpr.NewEraser(st, gopts),
		Exporter:  gdpr.NewExporter(st, gopts, cfg.Query.ExportMaxRows),
		Junk:      gopts.Junk,
		Segments:  segs,
		Alerts:    alerts.NewReader(st),
	}), nil
}
