// Package alerts reads the closed-loop alerts the processor raises (table
// alerts; the rules, with reason, cool-down and suggested action, are
// pkg/alerting's: event-triggered ones as the event is processed, the
// others by the ticket timer and the scorer).
package alerts

import (
	"context"
	"fmt"
	"strings"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"github.com/cemhq/cem/services/query/internal/chstore"
)

// Alert is one raised alert.
type Alert struct {
	ID         string   `json:"alert_id"`
	CustomerID string   `json:"customer_id"`
	Reason     string   `json:"reason"`
	Severity   string   `json:"severity"`
	Message    string   `json:"message"`
	Action     string   `json:"action"`
	Details    []string `json:"details"`
	TriggerID  string   `json:"trigger_id"`
	TriggerMs  int64    `json:"trigger_ms"`
	RaisedMs   int64    `json:"raised_ms"`
}

// Filter selects alerts.
type Filter struct {
	// Days: raised within the last Days days. Alerts have no acknowledge
	// step yet, so "open" means raised within this window (the scorer's
	// cool-down is 7 days: a customer's reason is alerted at most once in
	// it).
	Days int64
	// Reason and CustomerID filter when not empty.
	Reason, CustomerID string
	Limit              int
}

// Reader reads alerts.
type Reader struct{ st *chstore.Store }

// NewReader returns a Reader over st.
func NewReader(st *chstore.Store) *Reader { return &Reader{st: st} }

// Open returns the alerts of f, newest first.
func (r *Reader) Open(ctx context.Context, f Filter) ([]Alert, error) {
	where := []string{"raised_at >= now() - ?"}
	args := []any{f.Days * 86400}
	if f.Reason != "" {
		where = append(where, "reason = ?")
		args = append(args, f.Reason)
	}
	if f.CustomerID != "" {
		where = append(where, "customer_id = ?")
		args = append(args, f.CustomerID)
	}
	q := fmt.Sprintf(`SELECT alert_id, customer_id, reason, severity, message, action, details, trigger_id, trigger_ms, raised_ms
FROM %s.alerts FINAL WHERE %s ORDER BY raised_ms DESC, alert_id LIMIT %d`, r.st.DB(), strings.Join(where, " AND "), f.Limit)
	out := []Alert{}
	err := r.st.Select(ctx, func(rows driver.Rows) error {
		var a Alert
		if err := rows.Scan(&a.ID, &a.CustomerID, &a.Reason, &a.Severity, &a.Message, &a.Action, &a.Details, &a.TriggerID, &a.TriggerMs, &a.RaisedMs); err != nil {
			return err
		}
		out = append(out, a)
		return nil
	}, q, args...)
	return out, err
}
