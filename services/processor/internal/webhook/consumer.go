package webhook

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
	"github.com/segmentio/kafka-go"

	"github.com/cemhq/cem/pkg/alerting"
	"github.com/cemhq/cem/pkg/suppress"
	"github.com/cemhq/cem/services/processor/internal/sink"
)

// Store reads facts and past deliveries and writes outcomes (sink.Writer:
// retried until ctx ends).
type Store interface {
	Query(ctx context.Context, scan func(driver.Rows) error, query string, args ...any) error
	Write(ctx context.Context, blocks []sink.Block) error
	DB() string
}

// Consumer reads cem.alerts and delivers every alert.
type Consumer struct {
	cfg Config
	st  Store
	d   *Deliverer
	m   *Metrics
	log *slog.Logger
	// erased holds the ids erased on request (GDPR); nil: none.
	erased suppress.Holder
}

// Suppress makes the consumer skip the alerts of customers erased on
// request: checked before delivering and again before storing the
// outcomes (a delivery that began before the erasure is not recorded).
func (c *Consumer) Suppress(h suppress.Holder) { c.erased = h }

// isErased reports whether customer is erased; held (to release once the
// dependent write is done) is nil without a list.
func (c *Consumer) isErased(customer string) (bool, suppress.Held) {
	if c.erased == nil {
		return false, nil
	}
	held := c.erased.Hold()
	return held.Suppressed(customer), held
}

// NewConsumer returns a consumer delivering with d.
func NewConsumer(cfg Config, st Store, d *Deliverer, m *Metrics, log *slog.Logger) *Consumer {
	return &Consumer{cfg: cfg, st: st, d: d, m: m, log: log}
}

// Run consumes topic on brokers in the configured group until ctx ends. An
// alert's offset is committed once its outcome for every target is stored.
func (c *Consumer) Run(ctx context.Context, brokers []string, topic string) error {
	r := kafka.NewReader(kafka.ReaderConfig{Brokers: brokers, Topic: topic, GroupID: c.cfg.Group,
		StartOffset: kafka.FirstOffset, MaxWait: 100 * time.Millisecond, CommitInterval: 0})
	defer func() { _ = r.Close() }()
	for {
		m, err := r.FetchMessage(ctx)
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			return fmt.Errorf("fetch alert: %w", err)
		}
		var a alerting.Alert
		if err := json.Unmarshal(m.Value, &a); err != nil || a.ID == "" {
			c.log.Error("undecodable alert skipped", "partition", m.Partition, "offset", m.Offset, "err", err)
		} else if err := c.Handle(ctx, a); err != nil {
			if ctx.Err() != nil {
				return nil
			}
			return err
		}
		if err := r.CommitMessages(ctx, m); err != nil {
			if ctx.Err() != nil {
				return nil
			}
			return fmt.Errorf("commit alert offset: %w", err)
		}
	}
}

// Handle delivers a to every matching target not delivered before and
// stores the outcomes. It returns an error only when ctx ends (or a
// statement is refused as such).
func (c *Consumer) Handle(ctx context.Context, a alerting.Alert) error {
	if gone, held := c.isErased(a.CustomerID); held != nil {
		held.Release()
		if gone {
			for _, t := range c.cfg.Targets {
				c.m.Skipped.WithLabelValues(t.Name, "erased").Inc()
			}
			return nil
		}
	}
	facts, err := c.facts(ctx, a.CustomerID)
	if err != nil {
		return err
	}
	done, err := c.delivered(ctx, a.ID)
	if err != nil {
		return err
	}
	cust := Customer{ID: a.CustomerID, URL: CustomerURL(c.cfg.UIURL, a.CustomerID), Facts: facts}
	var (
		mu   sync.Mutex
		rows []row
		wg   sync.WaitGroup
		ferr error
	)
	for _, t := range c.cfg.Targets {
		switch {
		case !t.Matches(a, facts.Segments()):
			c.m.Skipped.WithLabelValues(t.Name, "filtered").Inc()
			continue
		case done[t.Name]:
			c.m.Skipped.WithLabelValues(t.Name, "delivered_before").Inc()
			continue
		}
		wg.Go(func() {
			out, err := c.d.Deliver(ctx, t, a, cust)
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				ferr = err
				return
			}
			c.count(t, a, out)
			rows = append(rows, row{t.Name, a, out})
		})
	}
	wg.Wait()
	if ferr != nil {
		return ferr
	}
	if len(rows) == 0 {
		return nil
	}
	gone, held := c.isErased(a.CustomerID)
	if held != nil {
		defer held.Release()
	}
	if gone {
		return nil
	}
	return c.st.Write(ctx, []sink.Block{block(rows)})
}

func (c *Consumer) count(t Target, a alerting.Alert, out Outcome) {
	if !out.Delivered {
		c.m.Failed.WithLabelValues(t.Name).Inc()
		c.log.Warn("webhook delivery dead-lettered", "target", t.Name, "alert", a.ID, "attempts", out.Attempts, "err", out.Err)
		return
	}
	c.m.Delivered.WithLabelValues(t.Name).Inc()
	c.m.Latency.WithLabelValues(t.Name).Observe(out.Done.Sub(start(a)).Seconds())
}

// start is when an alert's latency starts: the trigger's receipt, else the
// raise.
func start(a alerting.Alert) time.Time {
	if !a.ReceivedAt.IsZero() {
		return a.ReceivedAt
	}
	return a.RaisedAt
}

func (c *Consumer) facts(ctx context.Context, customer string) (Facts, error) {
	var f Facts
	q := fmt.Sprintf(`SELECT health, churn_risk, experience, nps_latest, csat_latest, rfm_segment, value_tier, lifecycle_now
FROM %s.customer_current WHERE customer_id = ? LIMIT 1`, c.st.DB())
	err := c.st.Query(ctx, func(rows driver.Rows) error {
		f = Facts{}
		for rows.Next() {
			f.Scored = true
			if err := rows.Scan(&f.Health, &f.ChurnRisk, &f.Experience, &f.NPSLatest, &f.CSATLatest, &f.Segment, &f.ValueTier, &f.Lifecycle); err != nil {
				return fmt.Errorf("scan customer facts: %w", err)
			}
		}
		return nil
	}, q, customer)
	if err != nil {
		return f, fmt.Errorf("load customer facts: %w", err)
	}
	return f, nil
}

func (c *Consumer) delivered(ctx context.Context, id string) (map[string]bool, error) {
	var done map[string]bool
	q := fmt.Sprintf(`SELECT target FROM %s.alert_deliveries FINAL WHERE alert_id = ? AND status = 'delivered'`, c.st.DB())
	err := c.st.Query(ctx, func(rows driver.Rows) error {
		done = map[string]bool{}
		for rows.Next() {
			var t string
			if err := rows.Scan(&t); err != nil {
				return fmt.Errorf("scan delivery: %w", err)
			}
			done[t] = true
		}
		return nil
	}, q, id)
	if err != nil {
		return nil, fmt.Errorf("load deliveries: %w", err)
	}
	return done, nil
}

type row struct {
	target string
	a      alerting.Alert
	out    Outcome
}

func block(rows []row) sink.Block {
	n := len(rows)
	ids, targets, custs, reasons, status, errs := make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n)
	attempts, codes := make([]uint32, n), make([]uint16, n)
	started, done, lat := make([]int64, n), make([]int64, n), make([]int64, n)
	versions := make([]uint64, n)
	for i, r := range rows {
		ids[i], targets[i], custs[i], reasons[i], errs[i] = r.a.ID, r.target, r.a.CustomerID, r.a.Reason, r.out.Err
		status[i] = "dead"
		if r.out.Delivered {
			status[i] = "delivered"
		}
		attempts[i], codes[i] = uint32(r.out.Attempts), uint16(r.out.HTTPStatus)
		started[i], done[i], lat[i] = r.out.Started.UnixMilli(), r.out.Done.UnixMilli(), r.out.Done.Sub(start(r.a)).Milliseconds()
		versions[i] = uint64(r.out.Done.UnixNano())
	}
	return sink.Block{Table: "alert_deliveries", Rows: n,
		Columns: []string{"alert_id", "target", "customer_id", "reason", "status", "attempts", "http_status", "error", "started_ms", "done_ms", "latency_ms", "version"},
		Data:    []any{ids, targets, custs, reasons, status, attempts, codes, errs, started, done, lat, versions}}
}
