// Package alerting defines cem's closed-loop alerts once for every component
// that raises, delivers or reads them: the alert record (the JSON of topic
// cem.alerts and the columns of table alerts), each rule with its reason,
// severity, suggested action, cool-down and the component that fires it, the
// cool-down bookkeeping, and the HMAC-SHA256 signature of webhook deliveries
// (Sign, Verify) that receivers check.
//
// Event-triggered rules (Stream) are raised by the processor while it
// processes the triggering event; the ticket response target (Timer) by the
// processor's ticket timer; time- and population-dependent rules (Scorer)
// by the periodic scorer.
package alerting
