package scores

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cemhq/cem/pkg/alerting"
)

func factors(h Health) []string {
	var out []string
	for _, r := range h.Reasons {
		out = append(out, r.Factor)
	}
	return out
}

func reasonText(h Health, factor string) string {
	for _, r := range h.Reasons {
		if r.Factor == factor {
			return r.Text
		}
	}
	return ""
}

// checkArchetype asserts that r is classified as its generated archetype,
// with the intended reasons. It is shared by the pure and the ClickHouse
// population tests.
func checkArchetype(t *testing.T, kind string, r *Result) {
	t.Helper()
	id := r.CustomerID
	switch kind {
	case kindPromoter:
		assert.Equal(t, StageEnthusiastic, r.Loyalty.Stage, id)
		assert.Contains(t, strings.Join(r.Loyalty.Evidence, ";"), "promoter: NPS", id)
		assert.Equal(t, RiskLow, r.Health.Risk, "%s: %v", id, r.Health.Reasons)
		assert.False(t, r.Sleeper.Sleeper, id)
	case kindDetractor:
		assert.Equal(t, StageUnbound, r.Loyalty.Stage, id)
		assert.Contains(t, factors(r.Health), FactorDetractor, id)
		assert.Contains(t, reasonText(r.Health, FactorDetractor), "detractor (NPS ", id)
		assert.Contains(t, reasonText(r.Health, FactorUnresolvedTickets), "1 unresolved ticket", id)
		assert.NotEqual(t, RiskLow, r.Health.Risk, id)
		require.NotNil(t, r.Satisfaction.NPS, id)
		assert.Equal(t, "down", r.Satisfaction.NPS.Direction(), id)
	case kindSleeper:
		assert.True(t, r.Sleeper.Sleeper, "%s: %+v", id, r.Sleeper)
		assert.Regexp(t, `^no activity for \d+ days, usual rhythm [\d.]+ days$`, reasonText(r.Health, FactorInactivity), id)
		require.NotNil(t, r.Sleeper.LastNegative, id)
		assert.Equal(t, "payment_failed", r.Sleeper.LastNegative.Signal, id)
		assert.GreaterOrEqual(t, r.Sleeper.DaysSincePurchase, 38, id)
		assert.NotEqual(t, RiskLow, r.Health.Risk, id)
	case kindChurner:
		assert.Equal(t, RiskHigh, r.Health.Risk, "%s: %v", id, r.Health.Reasons)
		assert.Regexp(t, `^contract c-u-churner-\d+ ends in 2[01] days \(no renewal\)$`, reasonText(r.Health, FactorContractEnding), id)
		assert.Equal(t, "detractor (NPS 3)", reasonText(r.Health, FactorDetractor), id)
		require.NotNil(t, r.Contracts.Ending, id)
	case kindAdvocate:
		assert.Equal(t, StageAdvocate, r.Loyalty.Stage, id)
		assert.Contains(t, r.Loyalty.Evidence[0], "1 referral converted", id)
		assert.Equal(t, 1, r.Profile.ReferralsDone, id)
	case kindChampion:
		assert.Equal(t, SegmentChampions, r.Value.Segment, "%s: %+v", id, r.Value)
		assert.Equal(t, "top", r.Value.Tier, id)
		assert.Equal(t, RiskLow, r.Health.Risk, "%s: %v", id, r.Health.Reasons)
	case kindNew:
		assert.Equal(t, LifecycleNew, r.Lifecycle.State, id)
		assert.False(t, r.Sleeper.FormerlyActive, id)
		assert.False(t, r.Sleeper.Sleeper, id)
		assert.Equal(t, SegmentProspect, r.Value.Segment, id)
	case kindComplainer:
		assert.Equal(t, "1 complaint in the last 90 days", reasonText(r.Health, FactorComplaint), id)
	case kindFiller:
		assert.False(t, r.Sleeper.Sleeper, id)
		assert.NotEqual(t, StageAdvocate, r.Loyalty.Stage, id)
		assert.NotEqual(t, LifecycleNew, r.Lifecycle.State, id)
	}
	if kind != kindNew && kind != kindSleeper {
		assert.Equal(t, LifecycleReturning, r.Lifecycle.State, "%s: %s", id, r.Lifecycle.Reason)
	}
}

func TestPopulationClassified(t *testing.T) {
	p := generate(42, genNow)
	pop := p.facts(genNow)
	require.Len(t, pop, len(p.customers), "every generated customer is known")
	results := Score(pop, DefaultConfig(), genNow)
	for _, r := range results {
		kind := p.kindOf(r.CustomerID)
		require.NotEmpty(t, kind, r.CustomerID)
		t.Run(r.CustomerID, func(t *testing.T) { checkArchetype(t, kind, r) })
	}
}

func TestPopulationAlerts(t *testing.T) {
	p := generate(42, genNow)
	pop := p.facts(genNow)
	cfg := DefaultConfig()
	results := Score(pop, cfg, genNow)
	st := AlertState{PreviousRisk: map[string]string{}, Cooldowns: alerting.NewCooldowns()}
	alerts := Alerts(pop, results, st, cfg, genNow)

	want := map[string]bool{}
	for _, r := range results {
		if r.Health.Risk == RiskHigh {
			want[r.CustomerID+" "+alerting.ChurnHigh] = true
		}
		if r.Contracts.Ending != nil {
			want[r.CustomerID+" "+alerting.ContractEnding] = true
		}
		if r.Sleeper.Sleeper {
			want[r.CustomerID+" "+alerting.Sleeper] = true
		}
	}
	got := map[string]bool{}
	for _, a := range alerts {
		k := a.CustomerID + " " + a.Reason
		assert.False(t, got[k], "one alert per customer and reason: %s", a.ID)
		got[k] = true
		assert.NotEmpty(t, a.Action, a.ID)
		rule := alerting.MustRule(a.Reason)
		assert.Equal(t, alerting.Scorer, rule.Firer, "the scorer raises only its own rules: %s", a.ID)
		if p.kindOf(a.CustomerID) == kindChurner && a.Reason == alerting.ChurnHigh {
			assert.Contains(t, a.Action, "renewal offer before the contract ends on", a.ID)
			assert.Contains(t, a.Message, "ends in", a.ID)
		}
	}
	assert.Equal(t, want, got)
	for _, id := range p.ofKind(kindChurner) {
		assert.True(t, got[id+" "+alerting.ChurnHigh], id)
		assert.True(t, got[id+" "+alerting.ContractEnding], id)
	}

	// Within the cool-down nothing is raised again: the same cool-downs
	// (remembered by Allow) and a run an hour later.
	later := genNow.Add(time.Hour)
	assert.Empty(t, Alerts(pop, Score(pop, cfg, later), st, cfg, later))
}
