package scores

import (
	"fmt"
	"strings"
	"time"
)

// Alert reasons.
const (
	AlertDetractor = "detractor"
	AlertComplaint = "complaint"
	AlertChurnHigh = "churn_high"
)

// Alert is a closed-loop alert: a customer, why, and what to do.
type Alert struct {
	ID         string    `json:"alert_id"` // reason:customer:trigger, stable across re-runs
	CustomerID string    `json:"customer_id"`
	Reason     string    `json:"reason"`
	Severity   string    `json:"severity"` // high or medium
	Message    string    `json:"message"`
	Action     string    `json:"action"`
	TriggerID  string    `json:"trigger_id"` // event id, or churn_high:<day>
	TriggerAt  time.Time `json:"trigger_at"`
	RaisedAt   time.Time `json:"raised_at"`
	Details    []string  `json:"details,omitempty"`
}

// AlertState is what alerting needs from earlier runs.
type AlertState struct {
	// Since: triggers received after Since are new.
	Since time.Time
	// PreviousRisk is the churn risk of the last run per customer; a customer
	// without one is new to scoring.
	PreviousRisk map[string]string
	// LastRaised is the latest alert per customer and reason (key
	// customer + "\x00" + reason) within the cool-down.
	LastRaised map[string]time.Time
}

// AlertKey is the LastRaised key of a customer and reason.
func AlertKey(customer, reason string) string { return customer + "\x00" + reason }

// Alerts derives the alerts of one run: a detractor NPS answer (0-6) or a
// complaint received after st.Since, and a change of churn risk to high.
// At most one alert per customer and reason is raised within
// cfg.AlertCooldown (counting alerts of earlier runs in st.LastRaised).
func Alerts(pop []*Facts, results []*Result, st AlertState, cfg Config, now time.Time) []Alert {
	var out []Alert
	for i, f := range pop {
		r := results[i]
		raise := func(a Alert) {
			if last, ok := st.LastRaised[AlertKey(f.CustomerID, a.Reason)]; ok && now.Sub(last) < cfg.AlertCooldown {
				return
			}
			a.CustomerID, a.RaisedAt = f.CustomerID, now
			a.ID = a.Reason + ":" + f.CustomerID + ":" + a.TriggerID
			out = append(out, a)
		}
		isNew := func(received time.Time) bool { return received.After(st.Since) && !received.After(now) }
		var det *Survey
		for j := range f.Surveys {
			if s := &f.Surveys[j]; s.Kind == KindNPS && IsDetractor(s.Score) && isNew(s.ReceivedAt) && (det == nil || s.At.After(det.At)) {
				det = s
			}
		}
		if det != nil {
			raise(Alert{Reason: AlertDetractor, Severity: "high", TriggerID: det.EventID, TriggerAt: det.At,
				Message: fmt.Sprintf("detractor: NPS %g on %s (%s)", det.Score, det.At.Format(time.DateOnly), firstNonEmpty(det.Touchpoint, det.Channel)),
				Action:  "contact within 48 h: ask what went wrong, fix it, and reward the feedback"})
		}
		var comp *Signal
		for j := range f.Signals {
			if s := &f.Signals[j]; s.Name == "complaint" && isNew(s.ReceivedAt) && (comp == nil || s.At.After(comp.At)) {
				comp = s
			}
		}
		if comp != nil {
			raise(Alert{Reason: AlertComplaint, Severity: "high", TriggerID: comp.EventID, TriggerAt: comp.At,
				Message: fmt.Sprintf("complaint filed on %s via %s", comp.At.Format(time.DateOnly), firstNonEmpty(comp.Channel, "unknown channel")),
				Action:  "contact within 48 h and resolve the complaint; confirm the resolution in writing"})
		}
		if prev := st.PreviousRisk[f.CustomerID]; r.Health.Risk == RiskHigh && prev != RiskHigh {
			a := Alert{Reason: AlertChurnHigh, Severity: "high", TriggerID: "churn_high:" + now.UTC().Format(time.DateOnly), TriggerAt: now,
				Action: churnAction(r)}
			var texts []string
			for _, rs := range r.Health.Reasons {
				texts = append(texts, rs.Text)
			}
			a.Details = texts
			a.Message = fmt.Sprintf("churn risk high (health %g, was %s): %s", r.Health.Score, firstNonEmpty(prev, "not scored"), strings.Join(texts, "; "))
			raise(a)
		}
	}
	return out
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
	return "retention call within a week"
}
