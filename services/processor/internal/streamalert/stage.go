package streamalert

import (
	"context"
	"fmt"
	"math"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"github.com/cemhq/cem/pkg/alerting"
	"github.com/cemhq/cem/services/processor/internal/sink"
	"github.com/cemhq/cem/services/processor/internal/stage"
)

// Querier reads ClickHouse with retries (sink.Writer).
type Querier interface {
	Query(ctx context.Context, scan func(driver.Rows) error, query string, args ...any) error
	DB() string
}

// Publisher produces alerts to cem.alerts; it returns nil once every alert
// is acknowledged and an error only when ctx ends first.
type Publisher interface {
	Publish(ctx context.Context, alerts []alerting.Alert) error
}

// Stage raises stream alerts. See the package documentation.
type Stage struct {
	q       Querier
	pub     Publisher
	m       *Metrics
	now     func() time.Time
	cd      *alerting.Cooldowns // nil until loaded
	pending []alerting.Alert    // raised, not yet drained
	written []alerting.Alert    // drained, to publish after the write
}

var (
	_ stage.Stage       = (*Stage)(nil)
	_ stage.AfterWriter = (*Stage)(nil)
)

// NewStage returns the stream alert stage.
func NewStage(q Querier, pub Publisher, m *Metrics) *Stage {
	return &Stage{q: q, pub: pub, m: m, now: time.Now}
}

// Name implements stage.Stage.
func (s *Stage) Name() string { return "alerts" }

// Load implements stage.Stage: the cool-downs, on the first flush and after
// a Reset.
func (s *Stage) Load(ctx context.Context, _ []*stage.Event) error {
	if s.cd != nil {
		return nil
	}
	cd, err := LoadCooldowns(ctx, s.q, s.now())
	if err != nil {
		return err
	}
	s.cd = cd
	return nil
}

// LoadCooldowns reads the latest alert per customer and reason raised
// within alerting.MaxCooldown before now.
func LoadCooldowns(ctx context.Context, q Querier, now time.Time) (*alerting.Cooldowns, error) {
	var cd *alerting.Cooldowns
	query := fmt.Sprintf(`SELECT customer_id, reason, argMax(alert_id, raised_ms), max(raised_ms) FROM %s.alerts
WHERE raised_ms >= ? GROUP BY customer_id, reason`, q.DB())
	err := q.Query(ctx, func(rows driver.Rows) error {
		cd = alerting.NewCooldowns()
		for rows.Next() {
			var customer, reason, id string
			var at int64
			if err := rows.Scan(&customer, &reason, &id, &at); err != nil {
				return fmt.Errorf("scan alert: %w", err)
			}
			cd.Remember(customer, reason, alerting.Raised{At: time.UnixMilli(at), ID: id})
		}
		return nil
	}, query, now.Add(-alerting.MaxCooldown()).UnixMilli())
	if err != nil {
		return nil, fmt.Errorf("load alert cool-downs: %w", err)
	}
	return cd, nil
}

// Process implements stage.Stage.
func (s *Stage) Process(ev *stage.Event) error {
	a, ok := Match(ev, s.now())
	if !ok {
		return nil
	}
	if !s.cd.Allow(a) {
		s.m.Suppressed.WithLabelValues(a.Reason).Inc()
		return nil
	}
	s.pending = append(s.pending, a)
	return nil
}

// Drain implements stage.Stage: the alerts table rows. An alert id written
// again keeps its first raise (highest version for the earliest raise).
func (s *Stage) Drain() []sink.Block {
	s.written, s.pending = s.pending, nil
	if len(s.written) == 0 {
		return nil
	}
	return []sink.Block{Block(s.written)}
}

// Block is the alerts table block of alerts: the first raise of an id wins.
func Block(alerts []alerting.Alert) sink.Block {
	return sink.Block{Table: "alerts", Columns: alerting.Columns, Rows: len(alerts),
		Data: alerting.Columnar(alerts, func(a alerting.Alert) uint64 { return math.MaxUint64 - uint64(a.RaisedAt.UnixNano()) })}
}

// AfterWrite implements stage.AfterWriter: the written alerts go to
// cem.alerts and count as visible.
func (s *Stage) AfterWrite(ctx context.Context) error {
	if len(s.written) == 0 {
		return nil
	}
	if err := s.pub.Publish(ctx, s.written); err != nil {
		return err
	}
	s.m.observe(s.written, s.now())
	s.written = nil
	return nil
}

// Written implements stage.Stage; old cool-downs are forgotten.
func (s *Stage) Written() {
	if s.cd != nil && s.cd.Len() > 0 {
		s.cd.Forget(s.now())
	}
}

// Reset implements stage.Stage: the cool-downs reload at the next flush.
func (s *Stage) Reset() { s.cd, s.pending, s.written = nil, nil, nil }
