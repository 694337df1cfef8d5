package scores

import (
	"fmt"
	"time"
)

// Loyalty ladder stages, lowest first.
const (
	StageUnbound      = "unbound"
	StageSatisfied    = "satisfied"
	StageEnthusiastic = "enthusiastic"
	StageAdvocate     = "advocate"
)

// Ladder is a customer's loyalty ladder stage with the facts behind it.
type Ladder struct {
	Stage    string   `json:"stage"`
	Evidence []string `json:"evidence,omitempty"`
}

// computeLadder applies, in order: a detractor latest NPS answer is
// unbound (whatever else); a converted referral is advocate; a promoter
// latest NPS (9-10) is enthusiastic; a passive latest NPS (7-8), a latest
// CSAT of 4-5, or a repeat buyer (2+ orders) without a low latest CSAT is
// satisfied; everyone else is unbound.
func computeLadder(f *Facts, sat Satisfaction) Ladder {
	date := func(t time.Time) string { return t.Format(time.DateOnly) }
	if a := sat.NPS; a != nil && IsDetractor(a.Score) {
		return Ladder{StageUnbound, []string{fmt.Sprintf("detractor: NPS %g on %s", a.Score, date(a.At))}}
	}
	if n := len(f.ReferralsDone); n > 0 {
		ev := []string{fmt.Sprintf("%s converted, last on %s", plural(n, "referral"), date(f.ReferralsDone[n-1]))}
		if a := sat.NPS; a != nil {
			ev = append(ev, fmt.Sprintf("NPS %g on %s", a.Score, date(a.At)))
		}
		return Ladder{StageAdvocate, ev}
	}
	if a := sat.NPS; a != nil && a.Score >= 9 {
		return Ladder{StageEnthusiastic, []string{fmt.Sprintf("promoter: NPS %g on %s", a.Score, date(a.At))}}
	}
	switch a, c := sat.NPS, sat.CSAT; {
	case a != nil && a.Score >= 7:
		return Ladder{StageSatisfied, []string{fmt.Sprintf("passive: NPS %g on %s", a.Score, date(a.At))}}
	case c != nil && c.Score >= 4:
		return Ladder{StageSatisfied, []string{fmt.Sprintf("CSAT %g on %s", c.Score, date(c.At))}}
	case len(f.Orders) >= 2 && (c == nil || c.Score >= 3):
		return Ladder{StageSatisfied, []string{fmt.Sprintf("repeat buyer: %d orders", len(f.Orders))}}
	}
	return Ladder{StageUnbound, nil}
}
