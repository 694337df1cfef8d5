package scores

import (
	"context"
	"math"
	"time"
)

// Write implements Store. Order matters: profiles, snapshots, alerts, then
// customer_scores, whose max(computed_ms) marks the run as done (the next
// run's alert window starts there). A failed run is redone whole; every
// table is idempotent for that (Replacing on its key, alert ids stable,
// snapshots keep the first row of a day).
func (s *ClickHouseStore) Write(ctx context.Context, out Output) error {
	at := out.At.UTC()
	version := uint64(at.UnixNano())
	atSec := at.Truncate(time.Second)
	if err := s.writeProfiles(ctx, out.Results, atSec, version); err != nil {
		return err
	}
	keep := math.MaxUint64 - uint64(at.UnixNano())
	err := s.insert(ctx, "score_snapshots", []string{"day", "customer_id", "taken_at", "health", "churn_risk", "churn_reasons",
		"experience", "lifecycle", "sleeper", "rfm_segment", "loyalty_stage", "nps_latest", "keep"}, len(out.Snapshots), func(i int) []any {
		r := out.Snapshots[i]
		return []any{out.Day, r.CustomerID, atSec, r.Health.Score, r.Health.Risk, reasonTexts(r.Health), r.Experience.Score,
			r.Lifecycle.State, b2u(r.Sleeper.Sleeper), r.Value.Segment, r.Loyalty.Stage, latest(r.Satisfaction.NPS), keep}
	})
	if err != nil {
		return err
	}
	err = s.insert(ctx, "alerts", []string{"alert_id", "customer_id", "reason", "severity", "message", "action", "details",
		"trigger_id", "trigger_ms", "raised_at", "raised_ms", "version"}, len(out.Alerts), func(i int) []any {
		a := out.Alerts[i]
		details := a.Details
		if details == nil {
			details = []string{}
		}
		return []any{a.ID, a.CustomerID, a.Reason, a.Severity, a.Message, a.Action, details, a.TriggerID, msOf(a.TriggerAt),
			a.RaisedAt.UTC().Truncate(time.Second), msOf(a.RaisedAt), version}
	})
	if err != nil {
		return err
	}
	return s.writeScores(ctx, out.Results, atSec, version)
}

func (s *ClickHouseStore) writeProfiles(ctx context.Context, rs []*Result, at time.Time, version uint64) error {
	return s.insert(ctx, "customer_profiles", []string{"customer_id", "computed_at", "computed_ms", "ids", "first_seen_ms",
		"last_seen_ms", "events", "sessions", "orders", "revenue", "avg_order_value", "last_order_ms", "open_tickets",
		"resolved_tickets", "active_contracts", "loyalty_program", "loyalty_tier", "loyalty_points", "referrals_sent",
		"referrals_converted", "surveys_answered", "feedback_given", "nps_latest", "csat_latest", "ces_latest", "profile", "version"},
		len(rs), func(i int) []any {
			r := rs[i]
			p := &r.Profile
			ids := p.IDs
			if ids == nil {
				ids = []string{}
			}
			return []any{r.CustomerID, at, msOf(r.At), ids, p.FirstSeenMs, p.LastSeenMs, p.Events,
				p.Sessions, p.Orders, p.Revenue, p.AvgOrderValue, msOf(p.LastOrderAt), uint32(p.Tickets.Open),
				uint32(p.Tickets.Resolved), uint32(r.Contracts.Active), p.Loyalty.Program, p.Loyalty.Tier, p.Loyalty.Points,
				uint32(p.ReferralsSent), uint32(p.ReferralsDone), uint32(p.SurveysAnswered), uint32(p.FeedbackGiven),
				latest(r.Satisfaction.NPS), latest(r.Satisfaction.CSAT), latest(r.Satisfaction.CES), jsonText(p), version}
		})
}

func (s *ClickHouseStore) writeScores(ctx context.Context, rs []*Result, at time.Time, version uint64) error {
	return s.insert(ctx, "customer_scores", []string{"customer_id", "computed_at", "computed_ms", "experience",
		"experience_signals", "experience_top", "health", "churn_risk", "churn_factors", "churn_reasons", "sleeper",
		"sleeper_at_ms", "usual_gap_days", "active_days", "last_activity_ms", "last_order_ms", "last_negative", "lifecycle",
		"lifecycle_reason", "lifecycle_until_ms", "dormant_at_ms", "churned_at_ms", "contract_ending_at_ms", "contract_end_ms",
		"contract_cancelled", "rfm_r", "rfm_f", "rfm_m", "rfm_segment", "value_tier", "loyalty_stage", "loyalty_evidence",
		"nps_latest", "nps_trend", "csat_latest", "csat_trend", "ces_latest", "ces_trend", "result", "version"},
		len(rs), func(i int) []any {
			r := rs[i]
			factors := []string{}
			for _, x := range r.Health.Reasons {
				factors = append(factors, x.Factor)
			}
			neg := ""
			if r.Sleeper.LastNegative != nil {
				neg = jsonText(r.Sleeper.LastNegative)
			}
			evidence := r.Loyalty.Evidence
			if evidence == nil {
				evidence = []string{}
			}
			d := r.Deadlines
			slim := *r
			slim.Profile = Profile{}
			sat := r.Satisfaction
			return []any{r.CustomerID, at, msOf(r.At), r.Experience.Score, uint32(r.Experience.Signals), jsonText(r.Experience.Top),
				r.Health.Score, r.Health.Risk, factors, reasonTexts(r.Health), b2u(r.Sleeper.Sleeper), msOf(d.SleeperAt),
				r.Sleeper.UsualGapDays, uint32(r.Sleeper.ActiveDays), r.Profile.LastSeenMs, msOf(r.Profile.LastOrderAt), neg,
				r.Lifecycle.State, r.Lifecycle.Reason, msOf(d.LifecycleUntil), msOf(d.DormantAt), msOf(d.ChurnedAt),
				msOf(d.ContractEndingAt), msOf(d.ContractEnd), b2u(r.Contracts.Cancelled != nil), uint8(r.Value.R),
				uint8(r.Value.F), uint8(r.Value.M), r.Value.Segment, r.Value.Tier, r.Loyalty.Stage, evidence,
				latest(sat.NPS), trend(sat.NPS), latest(sat.CSAT), trend(sat.CSAT), latest(sat.CES), trend(sat.CES),
				jsonText(slim), version}
		})
}

func reasonTexts(h Health) []string {
	out := []string{}
	for _, r := range h.Reasons {
		out = append(out, r.Text)
	}
	return out
}

func latest(a *Answer) *float64 {
	if a == nil {
		return nil
	}
	v := a.Score
	return &v
}

func trend(a *Answer) *float64 {
	if a == nil {
		return nil
	}
	return a.Trend
}

func b2u(b bool) uint8 {
	if b {
		return 1
	}
	return 0
}
