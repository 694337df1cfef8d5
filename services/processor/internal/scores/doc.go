// Package scores computes the customer 360 profile and the experience
// scores of every customer from the facts stored in ClickHouse, and raises
// closed-loop alerts. The root README ("Scores") documents every score:
// definition, inputs, defaults and how to change them.
//
// The package has two halves:
//
//   - Pure logic, no I/O: Facts (one customer's stored facts) and a clock
//     value go in; Evaluate returns the Result of one customer (profile,
//     satisfaction, experience, health and churn risk with reasons, sleeper,
//     lifecycle, loyalty ladder, contract state, deadlines), Score does the
//     population (RFM quintiles and segments need everyone), Alerts derives
//     the alerts of a run, and Counts/Aggregates compute NPS, CSAT and CES
//     over many answers. Same input, same output.
//   - The Scorer: runs inside the processor every Config.Interval (and once
//     at start) with an injectable clock. It loads facts through a Store
//     (ClickHouseStore: events FINAL, bots excluded, every key resolved to
//     its canonical customer through identities at read time, so retroactive
//     stitching applies), scores, publishes alerts (KafkaPublisher, topic
//     cem.alerts keyed by customer id) and writes customer_profiles,
//     customer_scores, score_snapshots and alerts (migrations 0010-0015).
//
// # Freshness: periodic scorer plus query-time deadlines
//
// Time-dependent states (sleeper, dormant/churned, contract ending,
// days since activity or purchase) must be right when queried even if the
// customer sent nothing. We use both mechanisms, each for what it does best:
//
//   - The periodic scorer recomputes everything from the stored facts every
//     interval (default 15 minutes), so health, churn risk and alerts move
//     without new events; they are at most one interval old.
//   - Every time-dependent state is also stored as a deadline: the moment it
//     turns true if nothing happens (sleeper_at_ms, dormant_at_ms,
//     churned_at_ms, lifecycle_until_ms, contract_ending_at_ms,
//     contract_end_ms, last_activity_ms, last_order_ms). The customer_current
//     view (0015) compares them with now(), so the query service reads exact
//     states with plain SQL and no scoring code.
//
// Why not a Go function the query service calls: services import pkg/,
// never each other (docs/conventions.md), and computing scores per request would need
// the whole population for RFM quintiles. The deadlines are exact (a new
// event resets them, and the processor's next run writes the new ones), and
// the view is one primary-key read.
//
// # Guarantees
//
// A run is redone whole when it fails. customer_scores is written last:
// its max(computed_ms) is the start of the next run's alert window (minus
// AlertLateness). Alerts are published before they are stored: a crash
// between the two re-raises the same alert_id (at-least-once on the topic,
// once in ClickHouse). Snapshots are inserted only for customers without a
// row that day and ReplacingMergeTree(keep) keeps the first row per day, so
// a snapshot is never overwritten.
//
// Scale: one run holds all customers' facts in memory (activity is kept
// per day, not per event) and reads the fact events of all time; that suits
// up to about a million customers. Beyond, score changed customers
// incrementally and keep the RFM breakpoints between runs.
package scores
