package alerting

import (
	"fmt"
	"slices"
	"time"
)

// Reasons of alerts.
const (
	Detractor      = "detractor"
	LowCSAT        = "low_csat"
	Complaint      = "complaint"
	PaymentFailed  = "payment_failed"
	TicketOverdue  = "ticket_overdue"
	ChurnHigh      = "churn_high"
	ContractEnding = "contract_ending"
	Sleeper        = "sleeper"
)

// Firer names the component that raises a rule's alerts.
type Firer string

// The firers.
const (
	// Stream: the processor, as it processes the triggering event.
	Stream Firer = "stream"
	// Timer: the processor's ticket timer, when a deadline passes.
	Timer Firer = "timer"
	// Scorer: the periodic scorer (time- and population-dependent rules).
	Scorer Firer = "scorer"
)

// Rule is the one definition of an alert rule.
type Rule struct {
	Reason   string
	Firer    Firer
	Severity string // high or medium
	// Cooldown: at most one alert per customer and reason within it.
	Cooldown time.Duration
	// Action is the suggested action.
	Action string
	// Trigger describes when the rule fires (documentation, UI).
	Trigger string
}

const day = 24 * time.Hour

var rules = []Rule{
	{Detractor, Stream, "high", 7 * day, "contact within 48 h: ask what went wrong, fix it, and reward the feedback",
		"an NPS answer of 0-6"},
	{LowCSAT, Stream, "medium", 7 * day, "contact within 48 h: ask what went wrong and fix it",
		"a CSAT answer of 1 or 2"},
	{Complaint, Stream, "high", 7 * day, "contact within 48 h and resolve the complaint; confirm the resolution in writing",
		"a Complaint Filed event"},
	{PaymentFailed, Stream, "high", day, "contact today: help complete the payment before the order is lost",
		"a Payment Failed event of an order (order_id set)"},
	{TicketOverdue, Timer, "medium", day, "answer the ticket now and apologise for the wait",
		"a Ticket Opened without Ticket Replied or Resolved within the response target"},
	{ChurnHigh, Scorer, "high", 7 * day, "retention call within a week",
		"the churn risk turned high in a scorer run"},
	{ContractEnding, Scorer, "medium", 30 * day, "renewal offer before the contract ends",
		"an active contract entered its ending window without renewal"},
	{Sleeper, Scorer, "medium", 30 * day, "wake-up campaign: personal message with an incentive to come back",
		"a formerly active customer went silent for longer than usual"},
}

// Rules returns every rule, stream rules first.
func Rules() []Rule { return slices.Clone(rules) }

// Reasons returns every reason.
func Reasons() []string {
	out := make([]string, len(rules))
	for i, r := range rules {
		out[i] = r.Reason
	}
	return out
}

// RuleOf returns the rule of reason.
func RuleOf(reason string) (Rule, bool) {
	i := slices.IndexFunc(rules, func(r Rule) bool { return r.Reason == reason })
	if i < 0 {
		return Rule{}, false
	}
	return rules[i], true
}

// MustRule returns the rule of reason and panics for an unknown reason (a
// programming error: reasons are the constants above).
func MustRule(reason string) Rule {
	r, ok := RuleOf(reason)
	if !ok {
		panic(fmt.Sprintf("alerting: no rule %q", reason))
	}
	return r
}

// MaxCooldown is the longest cool-down of any rule: how far back the
// components look for alerts already raised.
func MaxCooldown() time.Duration {
	var m time.Duration
	for _, r := range rules {
		m = max(m, r.Cooldown)
	}
	return m
}
