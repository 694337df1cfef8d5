// Package timeline writes the events table: one row per event with its
// customer, session, touchpoint, typed reserved properties and experience
// signal. Rows are keyed by event_id (source + ":" + messageId) in a
// ReplacingMergeTree ordered by (customer_key, ts_ms, event_id), so a replay
// stores each event once and a customer's timeline is a primary-key range
// read (see package identity for the query that stitches all of a
// customer's ids).
package timeline
