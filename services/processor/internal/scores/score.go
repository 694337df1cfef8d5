package scores

import "time"

// Result is everything the scores say about one customer at one moment.
type Result struct {
	CustomerID   string        `json:"customer_id"`
	At           time.Time     `json:"at"`
	Profile      Profile       `json:"profile"`
	Satisfaction Satisfaction  `json:"satisfaction"`
	Experience   Experience    `json:"experience"`
	Health       Health        `json:"health"`
	Sleeper      Sleeper       `json:"sleeper"`
	Lifecycle    Lifecycle     `json:"lifecycle"`
	Value        Value         `json:"value"`
	Loyalty      Ladder        `json:"loyalty"`
	Contracts    ContractState `json:"contracts"`
	Deadlines    Deadlines     `json:"deadlines"`
}

// Deadlines are the moments at which a time-dependent state turns true
// without any new event (zero: never, unless something happens). Stored
// with the scores so that readers evaluate them against their own clock.
type Deadlines struct {
	SleeperAt        time.Time `json:"sleeper_at"`
	DormantAt        time.Time `json:"dormant_at"`
	ChurnedAt        time.Time `json:"churned_at"`
	ContractEndingAt time.Time `json:"contract_ending_at"`
	ContractEnd      time.Time `json:"contract_end"`
	LifecycleUntil   time.Time `json:"lifecycle_until"`
}

// Evaluate computes every per-customer score of f at now. The RFM
// quintiles need the population: Evaluate leaves R, F and M at 0 and the
// segment "prospect" or unset; Score sets them.
func Evaluate(f *Facts, cfg Config, now time.Time) Result {
	sigs := signals(f, cfg, now)
	r := Result{CustomerID: f.CustomerID, At: now, Profile: computeProfile(f, now), Satisfaction: computeSatisfaction(f)}
	r.Experience = computeExperience(sigs, cfg, now)
	r.Sleeper = computeSleeper(f, cfg, now, sigs)
	r.Contracts = contractState(f, cfg, now)
	r.Lifecycle = computeLifecycle(f, cfg, now, r.Contracts)
	r.Health = computeHealth(f, cfg, now, healthInput{r.Satisfaction, r.Experience, r.Sleeper, r.Lifecycle, r.Contracts})
	r.Value = rawValue(f, now)
	r.Loyalty = computeLadder(f, r.Satisfaction)
	r.Deadlines = Deadlines{SleeperAt: r.Sleeper.At, ContractEndingAt: r.Contracts.EndingAt, ContractEnd: r.Contracts.EndsAt,
		LifecycleUntil: r.Lifecycle.Until}
	if last := f.LastSeen; !last.IsZero() {
		r.Deadlines.DormantAt, r.Deadlines.ChurnedAt = last.Add(days(cfg.DormantDays)), last.Add(days(cfg.ChurnedDays))
	}
	return r
}

// Score evaluates every customer of the population at now and ranks the
// buyers into RFM quintiles and segments. It is pure: same facts, config
// and now give the same results, in the order of pop.
func Score(pop []*Facts, cfg Config, now time.Time) []*Result {
	out := make([]*Result, len(pop))
	for i, f := range pop {
		r := Evaluate(f, cfg, now)
		out[i] = &r
	}
	assignRFM(out)
	return out
}
