package app

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
	"github.com/prometheus/client_golang/prometheus"
	"golang.org/x/sync/errgroup"

	"github.com/cemhq/cem/pkg/chconn"
	"github.com/cemhq/cem/pkg/chmigrate"
	"github.com/cemhq/cem/pkg/suppress"
	"github.com/cemhq/cem/pkg/telemetry"
	"github.com/cemhq/cem/services/processor/internal/alertkafka"
	"github.com/cemhq/cem/services/processor/internal/identity"
	"github.com/cemhq/cem/services/processor/internal/ingest"
	"github.com/cemhq/cem/services/processor/internal/pipeline"
	"github.com/cemhq/cem/services/processor/internal/scores"
	"github.com/cemhq/cem/services/processor/internal/session"
	"github.com/cemhq/cem/services/processor/internal/sink"
	"github.com/cemhq/cem/services/processor/internal/stage"
	"github.com/cemhq/cem/services/processor/internal/streamalert"
	"github.com/cemhq/cem/services/processor/internal/timeline"
	"github.com/cemhq/cem/services/processor/internal/webhook"
)

// Run serves the admin endpoints at once, connects to ClickHouse (waiting
// while it is unavailable), applies migrations, then consumes until ctx ends
// and shuts down: stop fetching, flush, commit, leave the group.
func Run(ctx context.Context, cfg Config, log *slog.Logger, reg *prometheus.Registry) error {
	ln, err := net.Listen("tcp", cfg.Processor.AdminAddr)
	if err != nil {
		return fmt.Errorf("admin listen: %w", err)
	}
	return RunListener(ctx, cfg, ln, log, reg)
}

// RunListener is Run with the admin server on an existing listener.
func RunListener(ctx context.Context, cfg Config, ln net.Listener, log *slog.Logger, reg *prometheus.Registry) error {
	p := cfg.Processor
	backoff := sink.Backoff{Initial: p.RetryInitial, Max: p.RetryMax}
	sm := sink.NewMetrics(reg)
	health := telemetry.NewHealth()
	mux := http.NewServeMux()
	health.Register(mux, reg)
	if p.Pprof {
		mux.HandleFunc("/debug/pprof/", pprof.Index)
		mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	}
	srv := cfg.HTTPConfig.Server(mux)

	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() error { return telemetry.Serve(gctx, srv, ln, p.ShutdownTimeout, log) })
	g.Go(func() error {
		conn, err := connect(gctx, cfg, backoff, log)
		if err != nil {
			return err
		}
		if conn == nil { // ctx ended while waiting
			return nil
		}
		defer func() { _ = conn.Close() }()
		w := sink.NewWriter(conn, cfg.ClickHouse.Database, backoff, sm, log)
		w.MarkReady(true)
		health.AddCheck("clickhouse", w.Check)
		dlq := pipeline.NewKafkaDLQ(cfg.Kafka.Brokers, cfg.Kafka.DLQTopic, backoff, log)
		defer func() { _ = dlq.Close() }()
		// Alerts of both the stream stage and the scorer go to one topic.
		if err := alertkafka.EnsureTopic(gctx, cfg.Kafka.Brokers, cfg.Kafka.AlertTopic, 6); err != nil {
			log.Warn("alert topic not ensured; relying on auto-creation", "topic", cfg.Kafka.AlertTopic, "err", err)
		}
		pub := alertkafka.NewKafkaPublisher(cfg.Kafka.Brokers, cfg.Kafka.AlertTopic, backoff, log)
		defer func() { _ = pub.Close() }()
		am := streamalert.NewMetrics(reg)
		stages, err := Stages(cfg, w, pub, am, reg, log)
		if err != nil {
			return err
		}
		pl := pipeline.New(stages, w, dlq, pipeline.NewMetrics(reg), log)
		// Ids erased on request (GDPR): drop their events still in Kafka,
		// never score them; loaded before the first write.
		erased := suppress.New(conn, suppress.Options{Database: cfg.ClickHouse.Database, Junk: cfg.Junk(), Kind: "processor"})
		err = sink.Retry(gctx, backoff, erased.Refresh, func(err error, attempt int) {
			log.Warn("suppression list not loaded yet; not consuming until it is", "err", err, "attempt", attempt)
		})
		if err != nil {
			return nil // ctx ended
		}
		pl.Suppress(erased)
		c := ingest.New(ingest.Config{
			Brokers: cfg.Kafka.Brokers, Topic: cfg.Kafka.Topic, Group: p.Group,
			FlushRows: p.FlushRows, FlushInterval: p.FlushInterval, MaxWait: p.FetchMaxWait,
			BusyRows: p.FlushBusyRows, BusyInterval: p.FlushBusyInterval,
			FinalFlushTimeout: p.ShutdownTimeout, SessionTimeout: p.GroupSessionTimeout,
			RebalanceTimeout: p.RebalanceTimeout, ProbeInterval: p.ProbeInterval,
		}, pl, ingest.NewMetrics(reg), log)
		health.AddCheck("kafka", c.Ready)
		ig, ictx := errgroup.WithContext(gctx)
		if cfg.Scores.Enabled {
			ig.Go(func() error { return runScorer(ictx, cfg, conn, pub, erased, reg, log) })
			timer := streamalert.NewTimer(cfg.Alerts, w, pub, am, log.With("component", "ticket-timer"))
			timer.Suppress(erased)
			ig.Go(func() error { return timer.Run(ictx) })
		}
		if wc := cfg.Webhook; len(wc.Targets) > 0 {
			wm := webhook.NewMetrics(reg)
			con := webhook.NewConsumer(wc, w, webhook.NewDeliverer(wc, nil, wm), wm, log.With("component", "webhook"))
			con.Suppress(erased)
			ig.Go(func() error { return con.Run(ictx, cfg.Kafka.Brokers, cfg.Kafka.AlertTopic) })
		}
		ig.Go(func() error {
			erased.Run(ictx, suppress.RunConfig{Interval: p.SuppressionInterval, Heartbeat: p.SuppressionHeartbeat}, log)
			return nil
		})
		ig.Go(func() error { return c.Run(ictx) })
		return ig.Wait()
	})
	return g.Wait()
}

// runScorer runs the periodic scorer (internal/scores) on conn until ctx
// ends; its alerts go to pub.
func runScorer(ctx context.Context, cfg Config, conn driver.Conn, pub scores.Publisher, erased suppress.Holder, reg prometheus.Registerer, log *slog.Logger) error {
	s, err := scores.New(cfg.Scores, scores.Deps{
		Store: scores.NewClickHouseStore(conn, cfg.ClickHouse.Database), Publisher: pub, Suppression: erased, Metrics: scores.NewMetrics(reg),
		Log: log.With("component", "scores"),
	})
	if err != nil {
		return err
	}
	return s.Run(ctx)
}

// Stages builds the processing stages in their fixed order: identity,
// session, timeline, stream alerts (published to pub).
func Stages(cfg Config, w *sink.Writer, pub streamalert.Publisher, am *streamalert.Metrics, reg prometheus.Registerer, log *slog.Logger) ([]stage.Stage, error) {
	p := cfg.Processor
	sess, err := session.NewStage(session.Config{
		Rules: session.Rules{
			Gap: p.SessionGap, MaxLength: p.SessionMax, Lateness: p.AllowedLateness,
		},
		MaxCustomers: p.StateMaxCustomers, MaxBytes: p.StateMaxBytes, IdleAfter: p.StateIdle,
		Directory: session.DirectoryConfig{Enabled: p.KeyDirectory, Capacity: p.KeyDirectoryKeys, Horizon: p.KeyDirectoryHorizon},
	}, w, session.NewMetrics(reg), log)
	if err != nil {
		return nil, err
	}
	return []stage.Stage{
		identity.NewStage(identity.Config{Junk: cfg.Junk(), MaxClusters: p.IdentityMaxClusters}, w, reg, log),
		sess,
		timeline.NewStage(),
		streamalert.NewStage(w, pub, am),
	}, nil
}

// connect opens ClickHouse and applies migrations, retrying until it works;
// it returns a nil conn when ctx ends first.
func connect(ctx context.Context, cfg Config, b sink.Backoff, log *slog.Logger) (driver.Conn, error) {
	var conn driver.Conn
	err := sink.Retry(ctx, b, func(ctx context.Context) error {
		c, err := chconn.Open(ctx, cfg.ClickHouse)
		if err != nil {
			return fmt.Errorf("open clickhouse: %w", err)
		}
		if cfg.Processor.Migrate {
			if err := chmigrate.Apply(ctx, c, chmigrate.For(cfg.ClickHouse)); err != nil {
				_ = c.Close()
				return fmt.Errorf("migrate: %w", err)
			}
		}
		conn = c
		return nil
	}, func(err error, attempt int) {
		log.Warn("clickhouse not usable yet; retrying", "attempt", attempt, "err", err)
	})
	if ctx.Err() != nil {
		return nil, nil
	}
	return conn, err
}
