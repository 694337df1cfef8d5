package scores

import (
	"encoding/json"
	"math"
	"os"
	"testing"
	"time"

	"github.com/kelseyhightower/envconfig"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestConfigDefaultsMatchEnvconfig(t *testing.T) {
	for _, kv := range os.Environ() {
		if len(kv) > 11 && kv[:11] == "CEM_SCORES_" {
			t.Skip("CEM_SCORES_* set in the environment")
		}
	}
	var c Config
	require.NoError(t, envconfig.Process("cem_scores", &c))
	assert.Equal(t, DefaultConfig(), c)
	require.NoError(t, c.Validate())

	t.Setenv("CEM_SCORES_HALF_LIFE", "240h")
	t.Setenv("CEM_SCORES_PENALTIES", "inactivity:40")
	require.NoError(t, envconfig.Process("cem_scores", &c))
	assert.Equal(t, 240*time.Hour, c.HalfLife)
	assert.Equal(t, map[string]float64{"inactivity": 40}, c.Penalties)

	bad := DefaultConfig()
	bad.ChurnHighBelow = 90
	bad.SignalWeights = map[string]float64{"x": 2}
	assert.ErrorContains(t, bad.Validate(), "CEM_SCORES_CHURN_HIGH_BELOW")
	assert.ErrorContains(t, bad.Validate(), "weight x=2")
}

func TestFigure(t *testing.T) {
	tests := []struct {
		name   string
		kind   string
		scores []float64
		minN   int
		want   *float64
	}{
		{"nps mixed", KindNPS, []float64{10, 9, 8, 7, 6, 0}, 1, ptr(0)},
		{"nps all promoters", KindNPS, []float64{9, 10}, 1, ptr(100)},
		{"nps below min n", KindNPS, []float64{9, 10}, 3, nil},
		{"nps one of three detractor", KindNPS, []float64{9, 8, 3}, 1, ptr(0)},
		{"csat", KindCSAT, []float64{5, 4, 3, 1}, 1, ptr(50)},
		{"ces mean", KindCES, []float64{7, 6, 2}, 1, ptr(5)},
		{"empty", KindCES, nil, 1, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var c Counts
			for _, s := range tt.scores {
				c.Add(tt.kind, s)
			}
			got := c.Figure(tt.kind, tt.minN)
			assert.Equal(t, len(tt.scores), got.N)
			assert.Equal(t, tt.want, got.Value)
		})
	}
}

func ptr(v float64) *float64 { return &v }

func TestPopulationSatisfactionAggregates(t *testing.T) {
	p := generate(7, genNow)
	var surveys []Survey
	for _, f := range p.facts(genNow) {
		surveys = append(surveys, f.Surveys...)
	}
	got := Aggregates(surveys, func(s Survey) string { return s.Channel }, 1)
	for ch, want := range independentFigures(p, func(e genEvent) string { return e.Channel }) {
		for kind, v := range want {
			require.NotNil(t, got[ch][kind].Value, "%s %s", ch, kind)
			assert.InDelta(t, v, *got[ch][kind].Value, 0.05, "%s %s", ch, kind)
		}
	}
	all := Aggregates(surveys, func(Survey) string { return "" }, 1)[""]
	for kind, v := range independentFigures(p, func(genEvent) string { return "" })[""] {
		assert.InDelta(t, v, *all[kind].Value, 0.05, kind)
	}
}

// independentFigures computes NPS, CSAT and CES per group straight from
// the generated responses, without the package's code.
func independentFigures(p *population, key func(genEvent) string) map[string]map[string]float64 {
	type acc struct{ n, good, bad, sum float64 }
	accs := map[string]map[string]*acc{}
	for _, e := range p.events {
		kind := map[string]string{EvNPS: "nps", EvCSAT: "csat", EvCES: "ces"}[e.Event]
		if kind == "" || e.Score == nil {
			continue
		}
		k := key(e)
		if accs[k] == nil {
			accs[k] = map[string]*acc{}
		}
		a := accs[k][kind]
		if a == nil {
			a = &acc{}
			accs[k][kind] = a
		}
		s := *e.Score
		a.n++
		a.sum += s
		if (kind == "nps" && s >= 9) || (kind == "csat" && s >= 4) {
			a.good++
		}
		if kind == "nps" && s <= 6 {
			a.bad++
		}
	}
	out := map[string]map[string]float64{}
	for k, byKind := range accs {
		out[k] = map[string]float64{}
		for kind, a := range byKind {
			switch kind {
			case "nps":
				out[k][kind] = math.Round(1000*(a.good-a.bad)/a.n) / 10
			case "csat":
				out[k][kind] = math.Round(1000*a.good/a.n) / 10
			case "ces":
				out[k][kind] = math.Round(10*a.sum/a.n) / 10
			}
		}
	}
	return out
}

func TestQuintilesAndSegments(t *testing.T) {
	assert.Equal(t, []int{1, 2, 3, 4, 5}, quintiles([]float64{1, 2, 3, 4, 5}, true))
	assert.Equal(t, []int{5, 4, 3, 2, 1}, quintiles([]float64{1, 2, 3, 4, 5}, false))
	assert.Equal(t, []int{1, 1, 4}, quintiles([]float64{2, 2, 9}, true), "ties share a score; 1 + 5×2/3 = 4")
	tests := []struct {
		r, f, m int
		want    string
	}{
		{5, 5, 5, SegmentChampions}, {4, 4, 3, SegmentChampions}, {3, 3, 3, SegmentLoyal}, {5, 2, 2, SegmentPotential},
		{2, 5, 5, SegmentAtRisk}, {1, 3, 3, SegmentAtRisk}, {2, 1, 2, SegmentHibernating}, {1, 1, 1, SegmentLost},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, segment(tt.r, tt.f, tt.m), "R%d F%d M%d", tt.r, tt.f, tt.m)
	}
}

// facts builds one customer's facts from rows and active days (days ago).
func factsOf(now time.Time, activeDaysAgo []int, rows ...Row) *Facts {
	f := NewFacts("c1")
	f.SetSummary(Summary{IDs: []string{"c1"}})
	for _, d := range activeDaysAgo {
		at := now.Add(-time.Duration(d) * 24 * time.Hour)
		f.AddActivity(Activity{Day: at, Channel: "web", Events: 1, Last: at})
	}
	for _, r := range rows {
		f.Add(r)
	}
	f.Finish()
	return f
}

func ago(now time.Time, d float64) time.Time {
	return now.Add(-time.Duration(d * float64(24*time.Hour)))
}

func TestSleeperAndLifecycle(t *testing.T) {
	now := genNow
	cfg := DefaultConfig()
	tests := []struct {
		name      string
		active    []int
		sleeper   bool
		gap       float64
		lifecycle string
	}{
		{"weekly, seen yesterday", []int{50, 43, 36, 29, 22, 15, 8, 1}, false, 7, LifecycleReturning},
		{"weekly, silent 22 days: 3×7 = 21 < 22", []int{71, 64, 57, 50, 43, 36, 29, 22}, true, 7, LifecycleReturning},
		{"every 2 days, silent 13 days: min 14 days not reached", []int{35, 33, 31, 29, 27, 25, 23, 21, 19, 17, 15, 13}, false, 2, LifecycleReturning},
		{"every 2 days, silent 15 days", []int{37, 35, 33, 31, 29, 27, 25, 23, 21, 19, 17, 15}, true, 2, LifecycleReturning},
		{"two active days only: not formerly active", []int{100, 90}, false, 10, LifecycleDormant},
		{"silent 200 days", []int{300, 290, 280, 200}, true, 10, LifecycleChurned},
		{"new", []int{5, 3}, false, 2, LifecycleNew},
		{"back after 90 days", []int{200, 190, 180, 90, 2}, false, 49, LifecycleResurrecting},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := Evaluate(factsOf(now, tt.active), cfg, now)
			assert.Equal(t, tt.sleeper, r.Sleeper.Sleeper, "%+v", r.Sleeper)
			assert.InDelta(t, tt.gap, r.Sleeper.UsualGapDays, 0.01)
			assert.Equal(t, tt.lifecycle, r.Lifecycle.State, r.Lifecycle.Reason)
			if r.Sleeper.FormerlyActive {
				assert.Equal(t, r.Sleeper.Sleeper, !now.Before(r.Deadlines.SleeperAt), "the deadline agrees")
			}
		})
	}
}

func TestSleeperAppearsWithClock(t *testing.T) {
	cfg := DefaultConfig()
	start := genNow
	f := factsOf(start, []int{40, 33, 26, 19, 12, 5, 0}) // weekly, last seen at start
	var became time.Time
	for d := 0; d <= 30; d++ {
		now := start.Add(time.Duration(d) * 24 * time.Hour)
		if Evaluate(f, cfg, now).Sleeper.Sleeper && became.IsZero() {
			became = now
		}
	}
	assert.Equal(t, start.Add(22*24*time.Hour), became, "3 × 7 days = 21 days of silence, sleeper on day 22")
}

func TestHealthReasons(t *testing.T) {
	now := genNow
	cfg := DefaultConfig()
	score := func(v float64) *float64 { return &v }
	tests := []struct {
		name   string
		rows   []Row
		active []int
		factor string
		text   string
		risk   string
	}{
		{"detractor", []Row{{Type: "track", Event: EvNPS, Score: score(3), At: ago(now, 1)}}, []int{1}, FactorDetractor, "detractor (NPS 3)", RiskMedium},
		{"contract ending", []Row{{Type: "track", Event: EvContractStarted, ContractID: "k1", At: ago(now, 300), ContractEnd: now.Add(21 * 24 * time.Hour)}},
			[]int{1}, FactorContractEnding, "contract k1 ends in 21 days (no renewal)", RiskMedium},
		{"contract renewed", []Row{
			{Type: "track", Event: EvContractStarted, ContractID: "k1", At: ago(now, 300), ContractEnd: now.Add(21 * 24 * time.Hour)},
			{Type: "track", Event: EvContractRenewed, ContractID: "k1", At: ago(now, 3), ContractEnd: now.Add(386 * 24 * time.Hour)},
		}, []int{1}, "", "", RiskLow},
		{"renewed with a new end that ends again soon", []Row{
			{Type: "track", Event: EvContractStarted, ContractID: "k1", At: ago(now, 300), ContractEnd: now.Add(-10 * 24 * time.Hour)},
			{Type: "track", Event: EvContractRenewed, ContractID: "k1", At: ago(now, 10), ContractEnd: now.Add(20 * 24 * time.Hour)},
		}, []int{1}, FactorContractEnding, "contract k1 ends in 20 days (no renewal)", RiskMedium},
		{"term renewed without an end date", []Row{
			{Type: "track", Event: EvContractStarted, ContractID: "k1", At: ago(now, 300), ContractEnd: now.Add(20 * 24 * time.Hour)},
			{Type: "track", Event: EvContractRenewed, ContractID: "k1", At: ago(now, 10)},
		}, []int{1}, "", "", RiskLow},
		{"renewed without an end date, then with a new end", []Row{
			{Type: "track", Event: EvContractStarted, ContractID: "k1", At: ago(now, 300), ContractEnd: now.Add(-5 * 24 * time.Hour)},
			{Type: "track", Event: EvContractRenewed, ContractID: "k1", At: ago(now, 30)},
			{Type: "track", Event: EvContractRenewed, ContractID: "k1", At: ago(now, 10), ContractEnd: now.Add(20 * 24 * time.Hour)},
		}, []int{1}, FactorContractEnding, "contract k1 ends in 20 days (no renewal)", RiskMedium},
		{"cancelled", []Row{{Type: "track", Event: EvContractCancelled, ContractID: "k1", At: ago(now, 3), ContractEnd: now.Add(10 * 24 * time.Hour)}},
			[]int{1}, FactorContractCancelled, "contract k1 cancelled on 2025-06-12", RiskHigh},
		{"unresolved tickets", []Row{
			{Type: "track", Event: EvTicketOpened, TicketID: "t1", TicketChannel: "email", At: ago(now, 10)},
			{Type: "track", Event: EvTicketOpened, TicketID: "t2", TicketChannel: "phone", At: ago(now, 5)},
		}, []int{1}, FactorUnresolvedTickets, "2 unresolved tickets past the resolution target", RiskMedium},
		{"order decline", []Row{
			{Type: "track", Event: EvOrder, At: ago(now, 250)}, {Type: "track", Event: EvOrder, At: ago(now, 220)},
			{Type: "track", Event: EvOrder, At: ago(now, 190)}, {Type: "track", Event: EvOrder, At: ago(now, 160)},
			{Type: "track", Event: EvOrder, At: ago(now, 130)}, {Type: "track", Event: EvOrder, At: ago(now, 60)},
		}, []int{1}, FactorOrderDecline, "order frequency down 60% (1 orders in the last 90 days, usually 2.5)", RiskLow},
		{"inactivity", nil, []int{80, 73, 66, 59, 52, 45}, FactorInactivity, "no activity for 45 days, usual rhythm 7 days", RiskMedium},
		{"complaint", []Row{{Type: "track", Event: EvComplaint, At: ago(now, 3)}}, []int{1}, FactorComplaint, "1 complaint in the last 90 days", RiskMedium}, // + poor experience (a lone fresh complaint)
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := Evaluate(factsOf(now, tt.active, tt.rows...), cfg, now)
			if tt.factor == "" {
				assert.Empty(t, r.Health.Reasons)
			} else {
				assert.Equal(t, tt.text, reasonText(r.Health, tt.factor), "%v", r.Health.Reasons)
			}
			assert.Equal(t, tt.risk, r.Health.Risk, "%v", r.Health.Reasons)
			sum := 0.0
			for _, x := range r.Health.Reasons {
				sum += x.Points
			}
			assert.InDelta(t, max(0, 100-sum), r.Health.Score, 1e-9)
		})
	}
}

func TestExperience(t *testing.T) {
	now := genNow
	cfg := DefaultConfig()
	score := func(v float64) *float64 { return &v }
	t.Run("no signals is neutral", func(t *testing.T) {
		assert.Equal(t, Experience{Score: 50}, Evaluate(factsOf(now, nil), cfg, now).Experience)
	})
	t.Run("contributions add up and recent counts more", func(t *testing.T) {
		f := factsOf(now, []int{1},
			Row{Type: "track", Event: EvComplaint, At: ago(now, 1)},
			Row{Type: "track", Event: EvReward, At: ago(now, 60)},
			Row{Type: "track", Event: EvNPS, Score: score(10), At: ago(now, 2)})
		e := Evaluate(f, cfg, now).Experience
		sum := 50.0
		for _, c := range e.Top {
			sum += c.Points
		}
		assert.InDelta(t, e.Score, sum, 0.2)
		assert.Equal(t, "complaint", e.Top[0].Signal, "a fresh complaint outweighs an old reward")
		assert.Less(t, e.Top[0].Points, 0.0)
	})
	t.Run("half-life halves the weight", func(t *testing.T) {
		fresh := Evaluate(factsOf(now, nil, Row{Type: "track", Event: EvReward, At: now}), cfg, now).Experience
		old := Evaluate(factsOf(now, nil, Row{Type: "track", Event: EvReward, At: now.Add(-cfg.HalfLife)}), cfg, now).Experience
		assert.InDelta(t, 75, fresh.Score, 0.01)         // 50 + 50 × 1/(1+1)
		assert.InDelta(t, 50+50*0.5/1.5, old.Score, 0.1) // d = 0.5
	})
	t.Run("slow ticket against the channel target", func(t *testing.T) {
		f := factsOf(now, nil,
			Row{Type: "track", Event: EvTicketOpened, TicketID: "t1", TicketChannel: "phone", At: ago(now, 2)},
			Row{Type: "track", Event: EvTicketReplied, TicketID: "t1", At: ago(now, 1.5)},
			Row{Type: "track", Event: EvTicketResolved, TicketID: "t1", At: ago(now, 1.4)})
		var names []string
		for _, c := range Evaluate(f, cfg, now).Experience.Top {
			names = append(names, c.Signal)
		}
		assert.Equal(t, []string{"ticket_slow_response", "ticket_resolved"}, names, "phone target 1h missed weighs more than the resolution within 24h")
	})
}

func TestLadder(t *testing.T) {
	now := genNow
	score := func(v float64) *float64 { return &v }
	nps := func(v float64, d float64) Row {
		return Row{Type: "track", Event: EvNPS, Score: score(v), At: ago(now, d)}
	}
	tests := []struct {
		name string
		rows []Row
		want string
	}{
		{"nothing", nil, StageUnbound},
		{"passive", []Row{nps(8, 1)}, StageSatisfied},
		{"csat 4", []Row{{Type: "track", Event: EvCSAT, Score: score(4), At: ago(now, 1)}}, StageSatisfied},
		{"repeat buyer", []Row{{Type: "track", Event: EvOrder, At: ago(now, 9)}, {Type: "track", Event: EvOrder, At: ago(now, 1)}}, StageSatisfied},
		{"promoter", []Row{nps(3, 9), nps(9, 1)}, StageEnthusiastic},
		{"advocate", []Row{nps(10, 9), {Type: "track", Event: EvReferralConverted, At: ago(now, 1)}}, StageAdvocate},
		{"detractor overrides a referral", []Row{{Type: "track", Event: EvReferralConverted, At: ago(now, 9)}, nps(2, 1)}, StageUnbound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := Evaluate(factsOf(now, []int{1}, tt.rows...), DefaultConfig(), now).Loyalty
			assert.Equal(t, tt.want, l.Stage)
			if tt.want != StageUnbound {
				assert.NotEmpty(t, l.Evidence)
			}
		})
	}
}

func TestProfile(t *testing.T) {
	now := genNow
	f := factsOf(now, []int{3, 1},
		Row{Type: "identify", At: ago(now, 5), Traits: `{"name":"Ann","consent":true}`},
		Row{Type: "identify", At: ago(now, 2), Traits: `{"name":"Anna"}`},
		Row{Type: "track", Event: EvOrder, OrderID: "o1", Revenue: 10, Currency: "EUR", At: ago(now, 3), Properties: `{"products":[{"name":"Tea"}]}`},
		Row{Type: "track", Event: EvOrder, OrderID: "o2", Revenue: 30, Currency: "EUR", At: ago(now, 1), Properties: `{"products":[{"name":"Tea"},{"sku":"cup-1"}]}`},
		Row{Type: "track", Event: EvLoyaltyJoined, At: ago(now, 3), Properties: `{"program":"club","tier":"silver"}`},
		Row{Type: "track", Event: EvPointsEarned, At: ago(now, 2), Properties: `{"points":100}`},
		Row{Type: "track", Event: EvPointsRedeemed, At: ago(now, 1), Properties: `{"points":30}`},
		Row{Type: "track", Event: EvTicketOpened, TicketID: "t1", TicketChannel: "email", At: ago(now, 2)},
		Row{Type: "track", Event: EvTicketReplied, TicketID: "t1", At: ago(now, 2).Add(2 * time.Hour)},
		Row{Type: "track", Event: EvTicketResolved, TicketID: "t1", At: ago(now, 1)},
	)
	p := Evaluate(f, DefaultConfig(), now).Profile
	assert.Equal(t, `"Anna"`, string(p.Traits["name"].Value), "last write wins per trait")
	assert.Equal(t, `true`, string(p.Consent["consent"]))
	assert.Equal(t, uint64(2), p.Orders)
	assert.InDelta(t, 40, p.Revenue, 1e-9)
	assert.InDelta(t, 20, p.AvgOrderValue, 1e-9)
	assert.Equal(t, []string{"Tea", "cup-1"}, p.Products)
	assert.Equal(t, LoyaltyView{Member: true, Program: "club", Tier: "silver", Points: 70, Joined: ago(now, 3)}, p.Loyalty)
	require.Contains(t, p.Tickets.ByChannel, "email")
	assert.InDelta(t, 2, p.Tickets.ByChannel["email"].AvgFirstResponseHrs, 1e-9)
	assert.InDelta(t, 24, p.Tickets.ByChannel["email"].AvgResolutionHrs, 1e-9)
	assert.Equal(t, 1, p.Tickets.Resolved)
}

// Amounts stored before the schemas bounded them (1.7e308 twice sums to
// +Inf) are left out, so the profile still encodes; a group call's traits
// (the company's) never become the person's.
func TestProfileAbsurdAmountsAndGroupTraits(t *testing.T) {
	now := genNow
	f := factsOf(now, []int{3, 1},
		Row{Type: "identify", At: ago(now, 5), Traits: `{"name":"Ann","email":"ann@example.com"}`},
		Row{Type: "group", At: ago(now, 2), Traits: `{"name":"ACME Corp","email":"billing@acme.example"}`},
		Row{Type: "track", Event: EvOrder, OrderID: "o1", Revenue: 1.7e308, At: ago(now, 3)},
		Row{Type: "track", Event: EvOrder, OrderID: "o2", Revenue: 1.7e308, At: ago(now, 2)},
		Row{Type: "track", Event: EvOrder, OrderID: "o3", Revenue: 25, At: ago(now, 1)},
		Row{Type: "track", Event: EvLoyaltyJoined, At: ago(now, 3), Properties: `{"program":"club"}`},
		Row{Type: "track", Event: EvPointsEarned, At: ago(now, 2), Properties: `{"points":1.7e308}`},
		Row{Type: "track", Event: EvPointsEarned, At: ago(now, 1), Properties: `{"points":1.7e308}`},
	)
	res := Evaluate(f, DefaultConfig(), now)
	p := res.Profile
	assert.Equal(t, uint64(3), p.Orders)
	assert.InDelta(t, 25, p.Revenue, 1e-9)
	assert.Zero(t, p.Loyalty.Points)
	assert.Equal(t, `"Ann"`, string(p.Traits["name"].Value))
	assert.Equal(t, `"ann@example.com"`, string(p.Traits["email"].Value))
	_, err := json.Marshal(p)
	require.NoError(t, err, "the profile encodes")
	_, err = json.Marshal(res)
	require.NoError(t, err)
}
