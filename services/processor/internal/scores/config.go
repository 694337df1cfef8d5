package scores

import (
	"maps"
	"slices"
	"time"

	"github.com/cemhq/cem/pkg/telemetry"
)

// Config holds every weight, threshold and schedule of the scores. It is
// loaded by the processor with envconfig under CEM_SCORES_ (the processor's
// Config nests it as Scores `envconfig:"SCORES"`); DefaultConfig returns the
// same defaults for code and tests. The root README ("Scores") documents each score.
type Config struct {
	// Enabled runs the periodic scorer in the processor (CEM_SCORES_ENABLED).
	// Default true.
	Enabled bool `envconfig:"ENABLED" default:"true"`
	// Interval between scorer runs; one run also happens at start
	// (CEM_SCORES_INTERVAL). Default 15m.
	Interval time.Duration `envconfig:"INTERVAL" default:"15m"`
	// RunTimeout bounds one scorer run (CEM_SCORES_RUN_TIMEOUT). Default 10m.
	RunTimeout time.Duration `envconfig:"RUN_TIMEOUT" default:"10m"`

	// HalfLife of a signal's weight in the experience score
	// (CEM_SCORES_HALF_LIFE). Default 720h (30 days).
	HalfLife time.Duration `envconfig:"HALF_LIFE" default:"720h"`
	// Prior is the pseudo-weight of a neutral signal (50) added to every
	// experience score so that one signal does not swing it to 0 or 100
	// (CEM_SCORES_PRIOR). Default 1.
	Prior float64 `envconfig:"PRIOR" default:"1"`
	// TopSignals is how many contributing signals an experience score keeps
	// (CEM_SCORES_TOP_SIGNALS). Default 3.
	TopSignals int `envconfig:"TOP_SIGNALS" default:"3"`
	// SignalWeights maps a signal name to its weight in [-1, 1]
	// (CEM_SCORES_SIGNAL_WEIGHTS, name:weight,...). Surveys are weighted by
	// their score and are not listed. Default DefaultSignalWeights.
	SignalWeights map[string]float64 `envconfig:"SIGNAL_WEIGHTS" default:"error_shown:-0.5,payment_failed:-1,complaint:-1,reward:1,order:0.5,refund:-0.5,ticket_slow_response:-0.5,ticket_slow_resolution:-0.5,ticket_reopened:-0.5,ticket_resolved:0.25,referral_converted:1,contract_renewed:0.5,contract_cancelled:-1,feedback:0.25"`
	// ResponseTargets is the first-response target of a ticket per channel;
	// "default" applies to other channels (CEM_SCORES_RESPONSE_TARGETS).
	// Default phone:1h,chat:1h,store:4h,email:24h,web:24h,letter:120h,default:24h.
	ResponseTargets map[string]time.Duration `envconfig:"RESPONSE_TARGETS" default:"phone:1h,chat:1h,store:4h,email:24h,web:24h,letter:120h,default:24h"`
	// ResolutionTargets is the resolution target of a ticket per channel
	// (CEM_SCORES_RESOLUTION_TARGETS). Default
	// phone:24h,chat:24h,store:48h,email:72h,web:72h,letter:240h,default:72h.
	ResolutionTargets map[string]time.Duration `envconfig:"RESOLUTION_TARGETS" default:"phone:24h,chat:24h,store:48h,email:72h,web:72h,letter:240h,default:72h"`

	// Penalties maps a health factor to the points it takes from 100
	// (CEM_SCORES_PENALTIES, factor:points,...). unresolved_tickets counts per
	// ticket, at most twice. Default DefaultPenalties.
	Penalties map[string]float64 `envconfig:"PENALTIES" default:"inactivity:30,order_decline:15,detractor:25,dissatisfied:15,satisfaction_falling:10,unresolved_tickets:10,slow_tickets:5,complaint:15,payment_failed:5,contract_ending:35,contract_cancelled:50,poor_experience:10"`
	// ChurnHighBelow: health below this is churn risk high
	// (CEM_SCORES_CHURN_HIGH_BELOW). Default 50.
	ChurnHighBelow float64 `envconfig:"CHURN_HIGH_BELOW" default:"50"`
	// ChurnMediumBelow: health below this is churn risk medium
	// (CEM_SCORES_CHURN_MEDIUM_BELOW). Default 80.
	ChurnMediumBelow float64 `envconfig:"CHURN_MEDIUM_BELOW" default:"80"`
	// PoorExperienceBelow: an experience score below this is a health factor
	// (CEM_SCORES_POOR_EXPERIENCE_BELOW). Default 35.
	PoorExperienceBelow float64 `envconfig:"POOR_EXPERIENCE_BELOW" default:"35"`
	// RecentDays is the window for complaints, payment failures, slow
	// tickets and the order-frequency comparison (CEM_SCORES_RECENT_DAYS).
	// Default 90.
	RecentDays int `envconfig:"RECENT_DAYS" default:"90"`
	// OrderDecline: orders in the last RecentDays at or below (1 -
	// OrderDecline) × the average of the two windows before is a decline
	// (CEM_SCORES_ORDER_DECLINE). Default 0.5.
	OrderDecline float64 `envconfig:"ORDER_DECLINE" default:"0.5"`
	// OrderDeclineMinBaseline is the minimum average orders per window before
	// a decline counts (CEM_SCORES_ORDER_DECLINE_MIN_BASELINE). Default 2.
	OrderDeclineMinBaseline float64 `envconfig:"ORDER_DECLINE_MIN_BASELINE" default:"2"`
	// ContractEndingDays: an active contract ending within this many days
	// without renewal is "contract ending" (CEM_SCORES_CONTRACT_ENDING_DAYS).
	// Default 45.
	ContractEndingDays int `envconfig:"CONTRACT_ENDING_DAYS" default:"45"`

	// SleeperK: silent for more than K × the customer's median gap between
	// active days makes a sleeper (CEM_SCORES_SLEEPER_K). Default 3.
	SleeperK float64 `envconfig:"SLEEPER_K" default:"3"`
	// SleeperMinDays is the least silence, in days, for a sleeper
	// (CEM_SCORES_SLEEPER_MIN_DAYS). Default 14.
	SleeperMinDays int `envconfig:"SLEEPER_MIN_DAYS" default:"14"`
	// SleeperMinActiveDays is how many distinct active days make a customer
	// "formerly active" (CEM_SCORES_SLEEPER_MIN_ACTIVE_DAYS). Default 3.
	SleeperMinActiveDays int `envconfig:"SLEEPER_MIN_ACTIVE_DAYS" default:"3"`

	// NewDays: first seen within this many days is lifecycle "new"
	// (CEM_SCORES_NEW_DAYS). Default 30.
	NewDays int `envconfig:"NEW_DAYS" default:"30"`
	// DormantDays: no activity for this many days is "dormant", and a gap this
	// long followed by activity is a resurrection (CEM_SCORES_DORMANT_DAYS).
	// Default 60.
	DormantDays int `envconfig:"DORMANT_DAYS" default:"60"`
	// ChurnedDays: no activity for this many days is "churned"
	// (CEM_SCORES_CHURNED_DAYS). Default 180.
	ChurnedDays int `envconfig:"CHURNED_DAYS" default:"180"`
	// ResurrectDays: a customer stays "resurrecting" this many days after
	// coming back (CEM_SCORES_RESURRECT_DAYS). Default 30.
	ResurrectDays int `envconfig:"RESURRECT_DAYS" default:"30"`

	// MinResponses is the least number of responses before an aggregate
	// NPS/CSAT/CES is shown (CEM_SCORES_MIN_RESPONSES). Default 5.
	MinResponses int `envconfig:"MIN_RESPONSES" default:"5"`
}

// DefaultConfig returns the documented defaults (the same as envconfig's).
func DefaultConfig() Config {
	return Config{
		Enabled: true, Interval: 15 * time.Minute, RunTimeout: 10 * time.Minute,
		HalfLife: 30 * 24 * time.Hour, Prior: 1, TopSignals: 3,
		SignalWeights: map[string]float64{
			"error_shown": -0.5, "payment_failed": -1, "complaint": -1, "reward": 1, "order": 0.5, "refund": -0.5,
			"ticket_slow_response": -0.5, "ticket_slow_resolution": -0.5, "ticket_reopened": -0.5, "ticket_resolved": 0.25,
			"referral_converted": 1, "contract_renewed": 0.5, "contract_cancelled": -1, "feedback": 0.25,
		},
		ResponseTargets: map[string]time.Duration{
			"phone": time.Hour, "chat": time.Hour, "store": 4 * time.Hour, "email": 24 * time.Hour,
			"web": 24 * time.Hour, "letter": 120 * time.Hour, "default": 24 * time.Hour,
		},
		ResolutionTargets: map[string]time.Duration{
			"phone": 24 * time.Hour, "chat": 24 * time.Hour, "store": 48 * time.Hour, "email": 72 * time.Hour,
			"web": 72 * time.Hour, "letter": 240 * time.Hour, "default": 72 * time.Hour,
		},
		Penalties: map[string]float64{
			FactorInactivity: 30, FactorOrderDecline: 15, FactorDetractor: 25, FactorDissatisfied: 15,
			FactorSatisfactionFalling: 10, FactorUnresolvedTickets: 10, FactorSlowTickets: 5, FactorComplaint: 15,
			FactorPaymentFailed: 5, FactorContractEnding: 35, FactorContractCancelled: 50, FactorPoorExperience: 10,
		},
		ChurnHighBelow: 50, ChurnMediumBelow: 80, PoorExperienceBelow: 35,
		RecentDays: 90, OrderDecline: 0.5, OrderDeclineMinBaseline: 2, ContractEndingDays: 45,
		SleeperK: 3, SleeperMinDays: 14, SleeperMinActiveDays: 3,
		NewDays: 30, DormantDays: 60, ChurnedDays: 180, ResurrectDays: 30,
		MinResponses: 5,
	}
}

// Validate reports configuration errors, each naming its variable
// (CEM_SCORES_*, as the processor loads it).
func (c Config) Validate() error {
	var v telemetry.ConfigCheck
	positive := func(d time.Duration, name string) {
		v.Require(d > 0, "CEM_SCORES_"+name, "must be positive, got %s", d)
	}
	notNegative := func(n float64, name string) {
		v.Require(n >= 0, "CEM_SCORES_"+name, "must not be negative, got %g", n)
	}
	positive(c.Interval, "INTERVAL")
	positive(c.RunTimeout, "RUN_TIMEOUT")
	positive(c.HalfLife, "HALF_LIFE")
	notNegative(c.Prior, "PRIOR")
	notNegative(float64(c.TopSignals), "TOP_SIGNALS")
	for _, name := range slices.Sorted(maps.Keys(c.SignalWeights)) {
		w := c.SignalWeights[name]
		v.Require(w >= -1 && w <= 1, "CEM_SCORES_SIGNAL_WEIGHTS", "weight %s=%g is outside [-1, 1]", name, w)
	}
	for _, name := range slices.Sorted(maps.Keys(c.Penalties)) {
		p := c.Penalties[name]
		v.Require(p >= 0 && p <= 100, "CEM_SCORES_PENALTIES", "penalty %s=%g is outside [0, 100]", name, p)
	}
	positive(c.ResponseTargets["default"], "RESPONSE_TARGETS default")
	positive(c.ResolutionTargets["default"], "RESOLUTION_TARGETS default")
	v.Require(0 < c.ChurnHighBelow && c.ChurnHighBelow <= c.ChurnMediumBelow, "CEM_SCORES_CHURN_HIGH_BELOW",
		"need 0 < %g <= CEM_SCORES_CHURN_MEDIUM_BELOW (%g)", c.ChurnHighBelow, c.ChurnMediumBelow)
	v.Require(c.ChurnMediumBelow <= 100, "CEM_SCORES_CHURN_MEDIUM_BELOW", "must be at most 100, got %g", c.ChurnMediumBelow)
	positive(days(c.RecentDays), "RECENT_DAYS")
	notNegative(float64(c.ContractEndingDays), "CONTRACT_ENDING_DAYS")
	v.Require(c.OrderDecline > 0 && c.OrderDecline < 1, "CEM_SCORES_ORDER_DECLINE", "must be in (0, 1), got %g", c.OrderDecline)
	v.Require(c.SleeperK > 0, "CEM_SCORES_SLEEPER_K", "must be positive, got %g", c.SleeperK)
	notNegative(float64(c.SleeperMinDays), "SLEEPER_MIN_DAYS")
	v.Require(c.SleeperMinActiveDays >= 2, "CEM_SCORES_SLEEPER_MIN_ACTIVE_DAYS", "must be at least 2, got %d", c.SleeperMinActiveDays)
	positive(days(c.NewDays), "NEW_DAYS")
	positive(days(c.DormantDays), "DORMANT_DAYS")
	v.Require(c.DormantDays <= c.ChurnedDays, "CEM_SCORES_CHURNED_DAYS", "(%d) must not be below CEM_SCORES_DORMANT_DAYS (%d)", c.ChurnedDays, c.DormantDays)
	positive(days(c.ResurrectDays), "RESURRECT_DAYS")
	v.Require(c.MinResponses >= 1, "CEM_SCORES_MIN_RESPONSES", "must be at least 1, got %d", c.MinResponses)
	return v.Err()
}

func (c Config) penalty(factor string) float64 { return c.Penalties[factor] }

func (c Config) target(m map[string]time.Duration, channel string) time.Duration {
	if d, ok := m[channel]; ok && d > 0 {
		return d
	}
	return m["default"]
}

func days(n int) time.Duration { return time.Duration(n) * 24 * time.Hour }
