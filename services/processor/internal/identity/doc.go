// Package identity links the ids a customer is known by and resolves any id
// to its canonical customer id.
//
// Links: an identify call (anonymousId + userId), any other call carrying
// both an anonymousId and a userId (cause: its type, e.g. "track"), and an
// alias call (previousId + userId). Ids are grouped into clusters by
// union-find; every cluster that was ever linked contains a userId and its
// canonical customer id is:
//
//   - identify (and implicit links): the first userId the cluster had. An
//     identify never merges two clusters that both contain a userId (a
//     shared device logging in as a second user keeps belonging to the first;
//     the second user's own events still carry their userId).
//   - alias: the new userId's cluster wins; the previousId's whole cluster
//     moves into it, even when it had a userId of its own.
//
// Junk ids ("", null, undefined, 0, -1, guest, anonymous, unknown, none, nan,
// n/a, test, case-insensitive, configurable) never link anything.
//
// Source trust (trust.go): an event of a client source (a public browser or
// app write key; events.Enrichment.ServerSource false) never moves an id
// that belongs to a user's cluster, neither by alias nor by identify: the
// link is refused and counted (cem_processor_identity_links_refused_total),
// the event is stored under its own ids. A user known only from userId
// events (no identities rows) is found in events, once per batch, before
// such a link. Server sources' aliases move clusters as described above.
//
// Tables (ReplacingMergeTree, read with FINAL):
//
//   - identities(id, customer_id, linked_at, cause, source_message_id,
//     version) ORDER BY id: the current customer of every linked id,
//     including the customer id itself.
//   - customer_ids(customer_id, id, deleted, version) ORDER BY (customer_id,
//     id): the same mapping indexed by customer, with a tombstone (deleted=1)
//     when an id moves to another customer.
//   - identity_merges(at, at_ms, cause, from_id, to_id, from_customer_id,
//     customer_id, event_id, version): one row per merge with its cause.
//
// Retroactive stitching happens at query time. Events keep the raw
// customer_key they were produced with; the customer_id column holds the
// canonical id known when the event was written (the id itself when not yet
// linked) and may be stale after later merges. The timeline of customer C is
//
//	SELECT ... FROM events FINAL
//	WHERE customer_key IN (
//	    SELECT id FROM customer_ids FINAL WHERE customer_id = 'C' AND deleted = 0
//	    UNION ALL SELECT 'C')
//	ORDER BY ts_ms, event_id
//
// Both the subquery (customer_ids is ordered by customer_id) and the outer
// filter (events is ordered by customer_key, ts_ms) hit primary keys. The
// equivalent via identities, SELECT id FROM identities FINAL WHERE
// customer_id = 'C', is correct too but scans identities. The customer of an
// id X is SELECT argMax(customer_id, version) FROM identities WHERE id = 'X'
// (X itself when absent).
//
// State: clusters live in an LRU (bounded by MaxClusters, trimmed after each
// flush); ids missing from it are loaded in bulk once per flush from
// identities and customer_ids, so a restart resumes with the stored graph.
// Writes are ordered identity_merges, customer_ids, identities: identities
// acts as the commit marker, so a crash between them makes the replay redo
// the merge.
package identity
