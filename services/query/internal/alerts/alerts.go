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

	"github.com/cemhq/cem/pkg/eventsql"
	"github.com/cemhq/cem/services/query/internal/chstore"
)

// Alert is one raised alert with its case.
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
	// Channel is the trigger event's channel (empty for the scorer's).
	Channel string `json:"channel"`
	// State and Owner are the case's (open without an owner until changed).
	State string `json:"state"`
	Owner string `json:"owner"`
	// ContactedMs and ResolvedMs are the first change to contacted and to
	// resolved (0: not yet).
	ContactedMs int64 `json:"contacted_ms"`
	ResolvedMs  int64 `json:"resolved_ms"`
}

// Filter selects alerts.
type Filter struct {
	// Days: raised within the last Days days.
	Days int64
	// Reason, CustomerID, State and Owner filter when not empty.
	Reason, CustomerID, State, Owner string
	Limit                            int
}

// Reader reads alerts and their cases and changes cases.
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
	if f.State != "" {
		where = append(where, "state = ?")
		args = append(args, f.State)
	}
	if f.Owner != "" {
		where = append(where, "owner = ?")
		args = append(args, f.Owner)
	}
	return r.list(ctx, where, args, f.Limit)
}

// triggerEvents are the events that trigger stream and timer alerts.
const triggerEvents = "event IN ('NPS Submitted', 'CSAT Submitted', 'Complaint Filed', 'Payment Failed', 'Ticket Opened')"

// list selects alerts with their case and trigger channel; where's
// conditions may name every column of Alert (state and owner as such).
// Every joined subquery has an alias: current ClickHouse requires one
// (joined_subquery_requires_alias).
func (r *Reader) list(ctx context.Context, where []string, args []any, limit int) ([]Alert, error) {
	db := r.st.DB()
	channels := eventsql.Source(db, eventsql.Query{Cols: []string{"event_id AS trigger_id", "channel"},
		Match: triggerEvents + " AND event_id IN (SELECT trigger_id FROM " + db + ".alerts)"})
	q := fmt.Sprintf(`SELECT alert_id, customer_id, reason, severity, message, action, details, trigger_id, trigger_ms, raised_ms,
  channel, state, owner, contacted_ms, resolved_ms
FROM (
  SELECT *, if(case_state = '', 'open', case_state) AS state, case_owner AS owner
  FROM (SELECT alert_id, customer_id, reason, severity, message, action, details, trigger_id, trigger_ms, raised_ms, raised_at
        FROM %s.alerts FINAL) AS a
  ANY LEFT JOIN %s AS c USING alert_id
) AS l
ANY LEFT JOIN %s AS t USING trigger_id
WHERE %s ORDER BY raised_ms DESC, alert_id LIMIT %d`, db, r.caseAgg(), channels, strings.Join(where, " AND "), limit)
	out := []Alert{}
	err := r.st.Select(ctx, func(rows driver.Rows) error {
		var a Alert
		if err := rows.Scan(&a.ID, &a.CustomerID, &a.Reason, &a.Severity, &a.Message, &a.Action, &a.Details, &a.TriggerID, &a.TriggerMs, &a.RaisedMs,
			&a.Channel, &a.State, &a.Owner, &a.ContactedMs, &a.ResolvedMs); err != nil {
			return err
		}
		out = append(out, a)
		return nil
	}, q, args...)
	return out, err
}
