package scores

import (
	"fmt"
	"sort"
	"time"
)

// Health factors: the keys of Config.Penalties and the Factor of a Reason.
const (
	FactorInactivity          = "inactivity"
	FactorOrderDecline        = "order_decline"
	FactorDetractor           = "detractor"
	FactorDissatisfied        = "dissatisfied"
	FactorSatisfactionFalling = "satisfaction_falling"
	FactorUnresolvedTickets   = "unresolved_tickets"
	FactorSlowTickets         = "slow_tickets"
	FactorComplaint           = "complaint"
	FactorPaymentFailed       = "payment_failed"
	FactorContractEnding      = "contract_ending"
	FactorContractCancelled   = "contract_cancelled"
	FactorPoorExperience      = "poor_experience"
)

// Churn risk levels.
const (
	RiskLow    = "low"
	RiskMedium = "medium"
	RiskHigh   = "high"
)

// Health is the health score (0-100, 100 = no risk factor) and churn risk
// with the reasons that lowered it, largest first.
type Health struct {
	Score   float64  `json:"score"`
	Risk    string   `json:"risk"`
	Reasons []Reason `json:"reasons,omitempty"`
}

// Reason is one health factor: its key, a sentence for people and the
// points it took.
type Reason struct {
	Factor string  `json:"factor"`
	Text   string  `json:"text"`
	Points float64 `json:"points"`
}

// healthInput is what the health score reads besides the facts.
type healthInput struct {
	sat       Satisfaction
	exp       Experience
	sleeper   Sleeper
	lifecycle Lifecycle
	contracts ContractState
}

// computeHealth starts at 100 and subtracts Config.Penalties for every
// factor present. Risk is high below ChurnHighBelow, for a cancelled
// contract and for churned customers; medium below ChurnMediumBelow; else
// low.
func computeHealth(f *Facts, cfg Config, now time.Time, in healthInput) Health {
	var rs []Reason
	add := func(factor string, times int, format string, a ...any) {
		if p := cfg.penalty(factor) * float64(times); p > 0 {
			rs = append(rs, Reason{factor, fmt.Sprintf(format, a...), p})
		}
	}
	recent := days(cfg.RecentDays)
	sl := in.sleeper
	switch {
	case sl.Sleeper:
		add(FactorInactivity, 1, "no activity for %d days, usual rhythm %s days", sl.DaysSinceActivity, fmtDays(sl.UsualGapDays))
	case !sl.FormerlyActive && !f.LastSeen.IsZero() && sl.DaysSinceActivity >= cfg.DormantDays:
		add(FactorInactivity, 1, "no activity for %d days", sl.DaysSinceActivity)
	}
	if recentN, base := orderWindows(f, recent, now); base >= cfg.OrderDeclineMinBaseline && float64(recentN) <= (1-cfg.OrderDecline)*base {
		add(FactorOrderDecline, 1, "order frequency down %.0f%% (%d orders in the last %d days, usually %s)",
			100*(1-float64(recentN)/base), recentN, cfg.RecentDays, fmtDays(base))
	}
	if a := in.sat.NPS; a != nil && IsDetractor(a.Score) {
		add(FactorDetractor, 1, "detractor (NPS %g)", a.Score)
	}
	if a := in.sat.CSAT; a != nil && a.Score <= 2 {
		add(FactorDissatisfied, 1, "dissatisfied (CSAT %g)", a.Score)
	} else if a := in.sat.CES; a != nil && a.Score <= 2 {
		add(FactorDissatisfied, 1, "high effort (CES %g)", a.Score)
	}
	if a := in.sat.NPS; a.Direction() == "down" && *a.Trend <= -2 {
		add(FactorSatisfactionFalling, 1, "satisfaction falling (NPS %g, %g below previous answers)", a.Score, -*a.Trend)
	} else if a := in.sat.CSAT; a.Direction() == "down" && *a.Trend <= -1 {
		add(FactorSatisfactionFalling, 1, "satisfaction falling (CSAT %g, %g below previous answers)", a.Score, -*a.Trend)
	}
	unresolved, slow := ticketCounts(f, cfg, now)
	if unresolved > 0 {
		add(FactorUnresolvedTickets, min(unresolved, 2), "%s past the resolution target", plural(unresolved, "unresolved ticket"))
	}
	if slow > 0 {
		add(FactorSlowTickets, 1, "%s in the last %d days", plural(slow, "slow ticket"), cfg.RecentDays)
	}
	if n := countSignals(f, "complaint", now.Add(-recent), now); n > 0 {
		add(FactorComplaint, 1, "%s in the last %d days", plural(n, "complaint"), cfg.RecentDays)
	}
	if n := countSignals(f, "payment_failed", now.Add(-recent), now); n > 0 {
		add(FactorPaymentFailed, 1, "%s in the last %d days", plural(n, "failed payment"), cfg.RecentDays)
	}
	if c := in.contracts.Ending; c != nil {
		add(FactorContractEnding, 1, "contract %s ends in %d days (no renewal)", c.ID, daysBetween(now, c.End))
	}
	if c := in.contracts.Cancelled; c != nil {
		add(FactorContractCancelled, 1, "contract %s cancelled on %s", c.ID, c.Cancelled.Format(time.DateOnly))
	}
	if in.exp.Signals > 0 && in.exp.Score < cfg.PoorExperienceBelow {
		add(FactorPoorExperience, 1, "poor experience (score %g)", in.exp.Score)
	}
	sort.SliceStable(rs, func(i, j int) bool { return rs[i].Points > rs[j].Points })
	h := Health{Score: 100, Reasons: rs}
	for _, r := range rs {
		h.Score -= r.Points
	}
	h.Score = max(0, h.Score)
	switch {
	case h.Score < cfg.ChurnHighBelow || in.contracts.Cancelled != nil || in.lifecycle.State == LifecycleChurned:
		h.Risk = RiskHigh
	case h.Score < cfg.ChurnMediumBelow:
		h.Risk = RiskMedium
	default:
		h.Risk = RiskLow
	}
	return h
}

// orderWindows returns the orders in the last window and the average of
// the two windows before it.
func orderWindows(f *Facts, window time.Duration, now time.Time) (int, float64) {
	var recent, before int
	for _, o := range f.Orders {
		switch age := now.Sub(o.At); {
		case age < 0:
		case age <= window:
			recent++
		case age <= 3*window:
			before++
		}
	}
	return recent, float64(before) / 2
}

// ticketCounts returns the tickets still open past their resolution target
// and the tickets of the last RecentDays that were slow (late first response
// or late resolution) but are resolved.
func ticketCounts(f *Facts, cfg Config, now time.Time) (unresolved, slow int) {
	since := now.Add(-days(cfg.RecentDays))
	for _, t := range f.Tickets {
		res := cfg.target(cfg.ResolutionTargets, t.Channel)
		if t.Resolved.IsZero() {
			if now.Sub(t.Opened) > res {
				unresolved++
			}
			continue
		}
		if t.Opened.Before(since) {
			continue
		}
		for _, s := range ticketSignals(t, cfg, now) {
			if s.name == "ticket_slow_response" || s.name == "ticket_slow_resolution" {
				slow++
				break
			}
		}
	}
	return unresolved, slow
}

func countSignals(f *Facts, name string, from, to time.Time) int {
	n := 0
	for _, s := range f.Signals {
		if s.Name == name && !s.At.Before(from) && !s.At.After(to) {
			n++
		}
	}
	return n
}

func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}

func fmtDays(d float64) string { return fmt.Sprintf("%g", round1(d)) }
