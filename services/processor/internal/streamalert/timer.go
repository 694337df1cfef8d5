package streamalert

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"github.com/cemhq/cem/pkg/alerting"
	"github.com/cemhq/cem/pkg/events"
	"github.com/cemhq/cem/pkg/eventsql"
	"github.com/cemhq/cem/pkg/suppress"
	"github.com/cemhq/cem/services/processor/internal/sink"
)

// Config configures the ticket timer (CEM_ALERTS_*).
type Config struct {
	// TicketResponseTarget: a ticket opened this long ago without a Ticket
	// Replied or Ticket Resolved raises ticket_overdue
	// (CEM_ALERTS_TICKET_RESPONSE_TARGET). Default 24h.
	TicketResponseTarget time.Duration `envconfig:"TICKET_RESPONSE_TARGET" default:"24h"`
	// TicketCheckInterval is how often the timer looks for overdue tickets
	// (CEM_ALERTS_TICKET_CHECK_INTERVAL). Default 1m.
	TicketCheckInterval time.Duration `envconfig:"TICKET_CHECK_INTERVAL" default:"1m"`
	// TicketLookback: tickets overdue for longer than this are not alerted
	// any more (CEM_ALERTS_TICKET_LOOKBACK). Default 168h (7 days).
	TicketLookback time.Duration `envconfig:"TICKET_LOOKBACK" default:"168h"`
}

// BlockWriter writes blocks to ClickHouse (sink.Writer).
type BlockWriter interface {
	Querier
	Write(ctx context.Context, blocks []sink.Block) error
}

// Timer raises ticket_overdue alerts when a ticket's response target
// passes. Run it on one processor instance (with the scorer): two timers
// raise the same alert ids, which collapse in ClickHouse but are
// delivered twice (receivers dedup on the id).
type Timer struct {
	cfg Config
	w   BlockWriter
	pub Publisher
	m   *Metrics
	log *slog.Logger
	now func() time.Time
	// erased holds the ids erased on request (GDPR); nil: none.
	erased suppress.Holder
}

// Suppress makes the timer leave out the alerts of customers erased on
// request, checked when it writes them (an erasure waits for the write
// and the publishing to end).
func (t *Timer) Suppress(h suppress.Holder) { t.erased = h }

// NewTimer returns a ticket timer.
func NewTimer(cfg Config, w BlockWriter, pub Publisher, m *Metrics, log *slog.Logger) *Timer {
	return &Timer{cfg: cfg, w: w, pub: pub, m: m, log: log, now: time.Now}
}

// Run checks every TicketCheckInterval until ctx ends; a failed check is
// logged and redone at the next tick.
func (t *Timer) Run(ctx context.Context) error {
	tk := time.NewTicker(t.cfg.TicketCheckInterval)
	defer tk.Stop()
	for {
		if n, err := t.Check(ctx); err != nil && ctx.Err() == nil {
			t.log.Error("ticket timer check failed; retrying at the next tick", "err", err)
		} else if n > 0 {
			t.log.Info("overdue tickets alerted", "alerts", n)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-tk.C:
		}
	}
}

// Check raises the alerts of tickets that are overdue at the clock's now
// and returns how many it raised: written to ClickHouse, then published.
func (t *Timer) Check(ctx context.Context) (int, error) {
	now := t.now()
	cd, err := LoadCooldowns(ctx, t.w, now)
	if err != nil {
		return 0, err
	}
	due := now.Add(-t.cfg.TicketResponseTarget)
	src := eventsql.Source(t.w.DB(), eventsql.Query{
		Cols:  []string{"event_id", "event", "ticket_id", "ticket_channel", "customer_id", "customer_key", "ts_ms", "received_ms"},
		Match: fmt.Sprintf("event IN ('%s', '%s', '%s') AND ticket_id != ''", events.TicketOpened, events.TicketReplied, events.TicketResolved),
		Where: "ts_ms >= ?",
	})
	q := fmt.Sprintf(`SELECT ticket_id, opened_id, cust, channel, opened_ms FROM (
SELECT ticket_id,
       argMinIf(event_id, ts_ms, event = '%[1]s') AS opened_id,
       argMinIf(if(customer_id != '', customer_id, customer_key), ts_ms, event = '%[1]s') AS cust,
       argMinIf(ticket_channel, ts_ms, event = '%[1]s') AS channel,
       minIf(ts_ms, event = '%[1]s') AS opened_ms,
       countIf(event = '%[1]s') AS opened,
       countIf(event != '%[1]s') AS answered
FROM %[2]s GROUP BY ticket_id)
WHERE opened > 0 AND answered = 0 AND opened_ms <= ?`, events.TicketOpened, src)
	var raised []alerting.Alert
	err = t.w.Query(ctx, func(rows driver.Rows) error {
		raised = raised[:0]
		for rows.Next() {
			var ticket, id, cust, channel string
			var opened int64
			if err := rows.Scan(&ticket, &id, &cust, &channel, &opened); err != nil {
				return fmt.Errorf("scan ticket: %w", err)
			}
			openedAt := time.UnixMilli(opened)
			a := alerting.New(alerting.TicketOverdue, cust, id, openedAt, now)
			a.Channel = channel
			a.Message = fmt.Sprintf("ticket %s opened %s via %s has no reply after %s (target %s)", ticket,
				openedAt.UTC().Format(time.DateTime), orUnknown(channel), now.Sub(openedAt).Round(time.Minute), t.cfg.TicketResponseTarget)
			if cd.AllowOnce(a) {
				raised = append(raised, a)
			}
		}
		return nil
	}, q, due.Add(-t.cfg.TicketLookback).UnixMilli(), due.UnixMilli())
	if err != nil {
		return 0, fmt.Errorf("find overdue tickets: %w", err)
	}
	if t.erased != nil {
		held := t.erased.Hold()
		defer held.Release()
		raised = slices.DeleteFunc(raised, func(a alerting.Alert) bool { return held.Suppressed(a.CustomerID) })
	}
	if len(raised) == 0 {
		return 0, nil
	}
	if err := t.w.Write(ctx, []sink.Block{Block(raised)}); err != nil {
		return 0, err
	}
	if err := t.pub.Publish(ctx, raised); err != nil {
		return 0, err
	}
	for _, a := range raised {
		t.m.Raised.WithLabelValues(a.Reason).Inc()
	}
	return len(raised), nil
}
