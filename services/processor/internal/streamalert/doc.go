// Package streamalert raises the event-triggered closed-loop alerts
// (pkg/alerting rules fired by Stream) as the processor processes the
// triggering event: a processing stage after identity, session and
// timeline. A raised alert is written to table alerts with the flush and,
// once every row of the flush is in ClickHouse and before the offsets are
// committed, produced to topic cem.alerts (key: customer id) for delivery.
//
// Cool-downs: the stage remembers the latest alert per customer and reason
// of the last pkg/alerting.MaxCooldown (loaded from table alerts on the
// first flush and after every Reset, whichever component raised it) and
// raises at most one alert per customer and reason within the rule's
// cool-down. A trigger processed again (a Kafka replay after a crash)
// raises the same alert id again, so an alert written but not yet produced
// is produced on the replay; receivers dedup on the id.
//
// The ticket response target needs a timer: Timer checks every interval
// for tickets opened longer than the target ago with no reply or
// resolution since, and raises ticket_overdue alerts through the same
// cool-downs and publisher.
package streamalert
