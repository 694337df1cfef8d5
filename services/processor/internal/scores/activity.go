package scores

import (
	"fmt"
	"sort"
	"time"
)

// Lifecycle states.
const (
	LifecycleNew          = "new"
	LifecycleReturning    = "returning"
	LifecycleResurrecting = "resurrecting"
	LifecycleDormant      = "dormant"
	LifecycleChurned      = "churned"
)

// Sleeper describes a customer's rhythm and silence. A sleeper is formerly
// active (at least SleeperMinActiveDays distinct active days) and silent
// for longer than max(SleeperK × UsualGapDays, SleeperMinDays) days.
type Sleeper struct {
	Sleeper        bool    `json:"sleeper"`
	FormerlyActive bool    `json:"formerly_active"`
	ActiveDays     int     `json:"active_days"`
	UsualGapDays   float64 `json:"usual_gap_days"` // median gap between active days
	ThresholdDays  float64 `json:"threshold_days"`
	// At is when the customer became (or will become, without new activity)
	// a sleeper; zero when not formerly active.
	At                time.Time           `json:"at"`
	DaysSinceActivity int                 `json:"days_since_activity"`
	DaysSincePurchase int                 `json:"days_since_purchase"` // -1: never bought
	LastNegative      *NegativeExperience `json:"last_negative,omitempty"`
}

// Lifecycle is a customer's lifecycle state with the rule that gave it.
// Until is when the state ends without a new event (new and resurrecting
// become returning, returning becomes dormant, dormant becomes churned);
// zero for churned.
type Lifecycle struct {
	State  string    `json:"state"`
	Reason string    `json:"reason"`
	Until  time.Time `json:"until"`
}

// ContractState summarizes a customer's contracts at a moment.
type ContractState struct {
	Active int `json:"active"`
	// Ending is the earliest active, unrenewed contract ending within
	// ContractEndingDays.
	Ending *Contract `json:"ending,omitempty"`
	// EndingAt is when the earliest active unrenewed contract enters the
	// ending window (zero when none).
	EndingAt time.Time `json:"ending_at"`
	// EndsAt is the end date of that contract.
	EndsAt time.Time `json:"ends_at"`
	// Cancelled is the latest cancelled contract that is still running or
	// was cancelled within RecentDays.
	Cancelled *Contract `json:"cancelled,omitempty"`
	// AllEnded: there were contracts and none is active any more.
	AllEnded bool `json:"all_ended"`
}

func daysBetween(a, b time.Time) int { return int(b.Sub(a) / (24 * time.Hour)) }

func median(v []float64) float64 {
	if len(v) == 0 {
		return 0
	}
	s := append([]float64(nil), v...)
	sort.Float64s(s)
	if n := len(s); n%2 == 1 {
		return s[n/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

func computeSleeper(f *Facts, cfg Config, now time.Time, sigs []weighted) Sleeper {
	s := Sleeper{ActiveDays: len(f.ActiveDays), DaysSincePurchase: -1}
	if !f.LastSeen.IsZero() {
		s.DaysSinceActivity = daysBetween(f.LastSeen, now)
	}
	if n := len(f.Orders); n > 0 {
		s.DaysSincePurchase = daysBetween(f.Orders[n-1].At, now)
	}
	s.LastNegative = lastNegative(sigs)
	var gaps []float64
	for i := 1; i < len(f.ActiveDays); i++ {
		gaps = append(gaps, f.ActiveDays[i].Sub(f.ActiveDays[i-1]).Hours()/24)
	}
	s.UsualGapDays = median(gaps)
	s.FormerlyActive = len(f.ActiveDays) >= cfg.SleeperMinActiveDays
	if !s.FormerlyActive {
		return s
	}
	s.ThresholdDays = max(cfg.SleeperK*s.UsualGapDays, float64(cfg.SleeperMinDays))
	s.At = f.LastSeen.Add(time.Duration(s.ThresholdDays * float64(24*time.Hour)))
	s.Sleeper = now.After(s.At)
	return s
}

// contractState evaluates contracts at now. A contract is active until its
// end date (open-ended without one) unless cancelled without an end date. A
// renewal event carrying a new end date moves the end and starts a term that
// is not renewed yet; one without counts as a renewal of the current term
// when it happened within the year before the end.
func contractState(f *Facts, cfg Config, now time.Time) ContractState {
	var cs ContractState
	window := days(cfg.ContractEndingDays)
	recent := days(cfg.RecentDays)
	for _, c := range f.Contracts {
		active := c.End.IsZero() && c.Cancelled.IsZero() || c.End.After(now)
		if active {
			cs.Active++
		}
		if !c.Cancelled.IsZero() && (active || now.Sub(c.Cancelled) <= recent) {
			if cs.Cancelled == nil || c.Cancelled.After(cs.Cancelled.Cancelled) {
				cs.Cancelled = c
			}
			continue
		}
		renewed := !c.termRenewed.IsZero() && c.termRenewed.After(c.End.AddDate(-1, 0, 0))
		if !active || c.End.IsZero() || renewed {
			continue
		}
		start := c.End.Add(-window)
		if cs.EndingAt.IsZero() || start.Before(cs.EndingAt) {
			cs.EndingAt, cs.EndsAt = start, c.End
			if !now.Before(start) {
				cs.Ending = c
			}
		}
	}
	cs.AllEnded = len(f.Contracts) > 0 && cs.Active == 0
	return cs
}

func computeLifecycle(f *Facts, cfg Config, now time.Time, cs ContractState) Lifecycle {
	last := f.LastSeen
	if last.IsZero() {
		last = f.FirstSeen
	}
	silent := daysBetween(last, now)
	dormantAt, churnedAt := last.Add(days(cfg.DormantDays)), last.Add(days(cfg.ChurnedDays))
	switch {
	case !f.FirstSeen.IsZero() && now.Sub(f.FirstSeen) < days(cfg.NewDays):
		return Lifecycle{LifecycleNew, fmt.Sprintf("first seen %d days ago (new for %d days)", daysBetween(f.FirstSeen, now), cfg.NewDays),
			minTime(f.FirstSeen.Add(days(cfg.NewDays)), dormantAt)}
	case silent >= cfg.ChurnedDays:
		return Lifecycle{LifecycleChurned, fmt.Sprintf("no activity for %d days (churned after %d)", silent, cfg.ChurnedDays), time.Time{}}
	case cs.AllEnded && cs.Cancelled != nil && !f.LastSeen.After(cs.Cancelled.Cancelled):
		return Lifecycle{LifecycleChurned, fmt.Sprintf("contract %s cancelled on %s and ended", cs.Cancelled.ID, cs.Cancelled.Cancelled.Format(time.DateOnly)), time.Time{}}
	case silent >= cfg.DormantDays:
		return Lifecycle{LifecycleDormant, fmt.Sprintf("no activity for %d days (dormant after %d)", silent, cfg.DormantDays), churnedAt}
	}
	for i := len(f.ActiveDays) - 1; i > 0; i-- {
		gap := daysBetween(f.ActiveDays[i-1], f.ActiveDays[i])
		if gap < cfg.DormantDays {
			continue
		}
		if back := daysBetween(f.ActiveDays[i], now); back < cfg.ResurrectDays {
			return Lifecycle{LifecycleResurrecting, fmt.Sprintf("active again %d days ago after %d silent days", back, gap),
				minTime(f.ActiveDays[i].Add(days(cfg.ResurrectDays)), dormantAt)}
		}
		break
	}
	return Lifecycle{LifecycleReturning, fmt.Sprintf("active %d days ago, customer for %d days", silent, daysBetween(f.FirstSeen, now)), dormantAt}
}

func minTime(a, b time.Time) time.Time {
	if b.Before(a) {
		return b
	}
	return a
}
