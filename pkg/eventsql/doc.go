// Package eventsql is the one way to read cem's events table: every reader
// that counts (the scorer, profiles, timelines, funnels, retention, paths,
// experience, service levels) takes its events from Source, which sees one
// row per event id, the copy that wins under the table's rule (the first
// received; migration 0030, docs/operations.md "Event identity").
//
// Several copies of one event id exist until ReplacingMergeTree merges
// them: a client or SDK that re-sends after a timeout, a second collector
// instance or one restarted (its dedup set is in memory), a re-send after
// the dedup window, a Kafka replay. The copies share event_id, customer_key
// and the client's payload; their skew-corrected time, receive time,
// session and network fields differ. Source reads with FINAL, so the
// copies collapse at read time into the winning row; every filter on a
// column that may differ between copies runs after that (Query.Where), and
// only filters on columns every copy shares may run before it
// (Query.Match, a PREWHERE that also keeps FINAL's merge small).
//
// FINAL is a single-threaded merge on ClickHouse 18.16. Query.Copies skips
// it for a reader whose answer cannot change with copies: it reads only
// columns every copy shares and aggregates so that a repeated row changes
// nothing (uniqExact(event_id), not count()). Funnels and retention do not
// qualify: they take the event's time and bot flag, which differ between
// copies of separate deliveries, so a losing copy's earlier time or
// non-bot flag would change them; they read with FINAL.
package eventsql
