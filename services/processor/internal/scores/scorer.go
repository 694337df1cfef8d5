package scores

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/cemhq/cem/pkg/suppress"
)

// Publisher delivers alerts outside ClickHouse. Publish returns nil only
// when every alert was acknowledged; it may deliver an alert more than once
// (consumers dedup by alert_id).
type Publisher interface {
	Publish(ctx context.Context, alerts []Alert) error
}

// Deps are the scorer's dependencies.
type Deps struct {
	// Store is required.
	Store Store
	// Publisher receives alerts before they are stored; nil stores them in
	// ClickHouse only.
	Publisher Publisher
	// Suppression holds the ids erased on request: their results and
	// alerts are dropped at write time, even when their facts were loaded
	// before the erasure. Nil: nothing is suppressed.
	Suppression suppress.Holder
	// Now is the clock. Default time.Now.
	Now func() time.Time
	// Metrics is required.
	Metrics *Metrics
	// Log is required.
	Log *slog.Logger
}

// Scorer recomputes every customer's profile and scores from the stored
// facts, writes them, takes the daily snapshots and raises alerts.
type Scorer struct {
	cfg Config
	d   Deps
}

// Report summarizes one run.
type Report struct {
	Customers int
	Snapshots int
	Alerts    []Alert
	Took      time.Duration
}

// New returns a Scorer.
func New(cfg Config, d Deps) (*Scorer, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if d.Store == nil || d.Metrics == nil || d.Log == nil {
		return nil, errors.New("scores: store, metrics and log are required")
	}
	if d.Now == nil {
		d.Now = time.Now
	}
	return &Scorer{cfg: cfg, d: d}, nil
}

// Run scores once at start and then every Interval until ctx ends. A failed
// run is logged and counted and retried at the next tick; Run returns nil
// when ctx ends.
func (s *Scorer) Run(ctx context.Context) error {
	t := time.NewTicker(s.cfg.Interval)
	defer t.Stop()
	for {
		rctx, cancel := context.WithTimeout(ctx, s.cfg.RunTimeout)
		rep, err := s.RunOnce(rctx)
		cancel()
		switch {
		case ctx.Err() != nil:
			return nil
		case err != nil:
			s.d.Log.Error("scorer run failed; retrying at the next interval", "err", err, "interval", s.cfg.Interval)
		default:
			s.d.Log.Info("scorer run done", "customers", rep.Customers, "snapshots", rep.Snapshots, "alerts", len(rep.Alerts), "took", rep.Took)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}

// RunOnce loads all facts, scores the population at the clock's now, and
// writes profiles, scores, the day's missing snapshots and new alerts
// (published first, so that a failed write re-raises rather than loses an
// alert).
func (s *Scorer) RunOnce(ctx context.Context) (Report, error) {
	start := time.Now()
	rep, err := s.runOnce(ctx)
	if err != nil {
		s.d.Metrics.Runs.WithLabelValues("error").Inc()
		return rep, err
	}
	rep.Took = time.Since(start)
	s.d.Metrics.Runs.WithLabelValues("ok").Inc()
	s.d.Metrics.RunDuration.Observe(rep.Took.Seconds())
	s.d.Metrics.Customers.Set(float64(rep.Customers))
	s.d.Metrics.LastSuccess.Set(float64(time.Now().Unix()))
	for _, a := range rep.Alerts {
		s.d.Metrics.Alerts.WithLabelValues(a.Reason).Inc()
	}
	return rep, nil
}

func (s *Scorer) runOnce(ctx context.Context) (Report, error) {
	now := s.d.Now().UTC()
	facts, err := s.d.Store.LoadFacts(ctx)
	if err != nil {
		return Report{}, err
	}
	st, err := s.d.Store.LoadState(ctx, now)
	if err != nil {
		return Report{}, err
	}
	results := Score(facts, s.cfg, now)
	alerts := Alerts(facts, results, st, s.cfg, now)
	day := now.Truncate(24 * time.Hour)
	taken, err := s.d.Store.SnapshotTaken(ctx, day)
	if err != nil {
		return Report{}, err
	}
	var snaps []*Result
	for _, r := range results {
		if !taken[r.CustomerID] {
			snaps = append(snaps, r)
		}
	}
	// From here to the end of the writes, the list of erased ids is held:
	// an erasure waits for these writes, and they skip what it erased.
	var erased suppress.Held
	if s.d.Suppression != nil {
		erased = s.d.Suppression.Hold()
		defer erased.Release()
		var dropped int
		results, snaps, alerts, dropped = withoutSuppressed(erased, facts, results, snaps, alerts)
		s.d.Metrics.Suppressed.Add(float64(dropped))
	}
	if s.d.Publisher != nil && len(alerts) > 0 {
		if err := s.d.Publisher.Publish(ctx, alerts); err != nil {
			return Report{}, fmt.Errorf("publish alerts: %w", err)
		}
	}
	if err := s.d.Store.Write(ctx, Output{At: now, Results: results, Snapshots: snaps, Day: day, Alerts: alerts}); err != nil {
		return Report{}, err
	}
	return Report{Customers: len(results), Snapshots: len(snaps), Alerts: alerts}, nil
}
