package alerting

import "time"

// Alert is a closed-loop alert: a customer, why, and what to do. It is the
// JSON value of topic cem.alerts (key: customer id) and a row of table
// alerts.
type Alert struct {
	// ID is reason:customer:trigger, stable when the trigger is processed
	// again (a replay stores and delivers the same id; receivers dedup on
	// it).
	ID         string    `json:"alert_id"`
	CustomerID string    `json:"customer_id"`
	Reason     string    `json:"reason"`
	Severity   string    `json:"severity"`
	Message    string    `json:"message"`
	Action     string    `json:"action"`
	TriggerID  string    `json:"trigger_id"` // event id, or reason:<day>
	TriggerAt  time.Time `json:"trigger_at"`
	RaisedAt   time.Time `json:"raised_at"`
	Details    []string  `json:"details,omitempty"`
	// Channel is the touchpoint channel of the trigger (empty for scorer
	// alerts).
	Channel string `json:"channel,omitempty"`
	// ReceivedAt is when the collector received the triggering event (zero
	// for scorer alerts): the start of the alert's latency.
	ReceivedAt time.Time `json:"received_at,omitzero"`
}

// ID returns the alert id of reason, customer and trigger.
func ID(reason, customer, trigger string) string { return reason + ":" + customer + ":" + trigger }

// New returns an alert of rule reason with the rule's severity and action.
func New(reason, customer, trigger string, triggerAt, raisedAt time.Time) Alert {
	r := MustRule(reason)
	return Alert{ID: ID(reason, customer, trigger), CustomerID: customer, Reason: reason, Severity: r.Severity,
		Action: r.Action, TriggerID: trigger, TriggerAt: triggerAt, RaisedAt: raisedAt}
}

// Raised is the latest alert of a customer and reason.
type Raised struct {
	At time.Time
	ID string
}

// Cooldowns remembers the latest alert per customer and reason and applies
// each rule's cool-down. The zero value is not usable; see NewCooldowns.
type Cooldowns struct{ last map[string]Raised }

// NewCooldowns returns empty cool-downs.
func NewCooldowns() *Cooldowns { return &Cooldowns{last: map[string]Raised{}} }

func key(customer, reason string) string { return customer + "\x00" + reason }

// Remember records an alert raised earlier (loaded from the alerts table).
// The later of two alerts wins.
func (c *Cooldowns) Remember(customer, reason string, r Raised) {
	k := key(customer, reason)
	if old, ok := c.last[k]; !ok || r.At.After(old.At) {
		c.last[k] = r
	}
}

// Allow reports whether a is raised at a.RaisedAt: no alert of its customer
// and reason within the rule's cool-down, or the latest one is a itself (its
// trigger processed again, as on a Kafka replay: the same id is raised again
// and deduplicated downstream). An allowed alert is remembered.
func (c *Cooldowns) Allow(a Alert) bool { return c.allow(a, true) }

// AllowOnce is Allow for periodic rules, which see the same trigger on
// every run: an id that is the latest raised is not raised again.
func (c *Cooldowns) AllowOnce(a Alert) bool { return c.allow(a, false) }

func (c *Cooldowns) allow(a Alert, again bool) bool {
	k := key(a.CustomerID, a.Reason)
	last, ok := c.last[k]
	switch {
	case ok && last.ID == a.ID:
		return again
	case ok && a.RaisedAt.Sub(last.At) < MustRule(a.Reason).Cooldown:
		return false
	}
	c.last[k] = Raised{At: a.RaisedAt, ID: a.ID}
	return true
}

// Last returns the latest alert of customer and reason.
func (c *Cooldowns) Last(customer, reason string) (Raised, bool) {
	r, ok := c.last[key(customer, reason)]
	return r, ok
}

// Len is the number of remembered customer and reason pairs.
func (c *Cooldowns) Len() int { return len(c.last) }

// Forget drops entries older than the longest cool-down before now.
func (c *Cooldowns) Forget(now time.Time) {
	cut := now.Add(-MaxCooldown())
	for k, r := range c.last {
		if r.At.Before(cut) {
			delete(c.last, k)
		}
	}
}
