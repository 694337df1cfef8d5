package scores

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"github.com/cemhq/cem/pkg/alerting"
)

// Alert is a closed-loop alert (pkg/alerting: one definition for the
// scorer, the processor's stream stage and the query service).
type Alert = alerting.Alert

// AlertState is what alerting needs from earlier runs.
type AlertState struct {
	// PreviousRisk is the churn risk of the last run per customer; a customer
	// without one is new to scoring.
	PreviousRisk map[string]string
	// Cooldowns hold the latest alert per customer and reason of any
	// component (alerting.MaxCooldown back).
	Cooldowns *alerting.Cooldowns
}

// Alerts derives the scorer's alerts at now (its rules in pkg/alerting:
// churn risk turned high, a contract entered its ending window, a customer
// became a sleeper), at most one per customer and reason within the rule's
// cool-down. The event-triggered rules are the stream stage's
// (internal/streamalert).
func Alerts(pop []*Facts, results []*Result, st AlertState, cfg Config, now time.Time) []Alert {
	var out []Alert
	for i, f := range pop {
		r := results[i]
		raise := func(a Alert) {
			if st.Cooldowns.AllowOnce(a) {
				out = append(out, a)
			}
		}
		if prev := st.PreviousRisk[f.CustomerID]; r.Health.Risk == RiskHigh && prev != RiskHigh {
			a := alerting.New(alerting.ChurnHigh, f.CustomerID, "churn_high:"+now.UTC().Format(time.DateOnly), now, now)
			a.Action = churnAction(r)
			for _, rs := range r.Health.Reasons {
				a.Details = append(a.Details, rs.Text)
			}
			a.Message = fmt.Sprintf("churn risk high (health %g, was %s): %s", r.Health.Score, firstNonEmpty(prev, "not scored"), strings.Join(a.Details, "; "))
			raise(a)
		}
		if c := r.Contracts.Ending; c != nil {
			a := alerting.New(alerting.ContractEnding, f.CustomerID, "contract_ending:"+c.ID, r.Contracts.EndingAt, now)
			a.Message = fmt.Sprintf("contract %s ends on %s (in %d days), not renewed", c.ID, c.End.Format(time.DateOnly), daysBetween(now, c.End))
			a.Action = fmt.Sprintf("renewal offer before the contract ends on %s", c.End.Format(time.DateOnly))
			raise(a)
		}
		if sl := r.Sleeper; sl.Sleeper {
			a := alerting.New(alerting.Sleeper, f.CustomerID, "sleeper:"+sl.At.UTC().Format(time.DateOnly), sl.At, now)
			a.Message = fmt.Sprintf("sleeper: no activity for %d days (usual rhythm %s days)", sl.DaysSinceActivity, fmtDays(sl.UsualGapDays))
			raise(a)
		}
	}
	return out
}

// loadCooldowns reads the latest alert per customer and reason of the
// longest cool-down before now.
func (s *ClickHouseStore) loadCooldowns(ctx context.Context, now time.Time) (*alerting.Cooldowns, error) {
	cd := alerting.NewCooldowns()
	q := fmt.Sprintf(`SELECT customer_id, reason, argMax(alert_id, raised_ms), max(raised_ms) FROM %s.alerts WHERE raised_ms >= %d GROUP BY customer_id, reason`,
		s.db, now.Add(-alerting.MaxCooldown()).UnixMilli())
	err := s.query(ctx, q, func(r driver.Rows) error {
		var id, reason, alertID string
		var at int64
		if err := r.Scan(&id, &reason, &alertID, &at); err != nil {
			return err
		}
		cd.Remember(id, reason, alerting.Raised{At: fromMs(at), ID: alertID})
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("load alerts: %w", err)
	}
	return cd, nil
}

// churnAction suggests the action for the most important reason.
func churnAction(r *Result) string {
	if c := r.Contracts.Ending; c != nil {
		return fmt.Sprintf("renewal offer before the contract ends on %s", c.End.Format(time.DateOnly))
	}
	if c := r.Contracts.Cancelled; c != nil {
		return "win-back call: ask why contract " + c.ID + " was cancelled and make a counter-offer"
	}
	for _, rs := range r.Health.Reasons {
		switch rs.Factor {
		case FactorInactivity:
			return "wake-up campaign: personal message with an incentive to come back"
		case FactorDetractor, FactorDissatisfied, FactorComplaint, FactorUnresolvedTickets, FactorSlowTickets:
			return "contact within 48 h: resolve open issues and follow up on satisfaction"
		}
	}
	return alerting.MustRule(alerting.ChurnHigh).Action
}
